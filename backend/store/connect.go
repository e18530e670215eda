package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// sqliteDSN turns a sqlite: DSN into a modernc.org/sqlite file name, and
// returns the file's path ("" in memory).
func sqliteDSN(dsn string, busy time.Duration, sync string) (name, path string, memory bool, err error) {
	rest := strings.TrimPrefix(dsn, "sqlite:")
	rest, query, _ := strings.Cut(rest, "?")
	switch {
	case rest == ":memory:" || rest == "//:memory:":
		memory = true
	case strings.HasPrefix(rest, "//"):
		path = rest[2:] // sqlite:///abs → /abs; sqlite://rel → rel
	default:
		path = rest // sqlite:file.db
	}
	if !memory && path == "" {
		return "", "", false, fmt.Errorf("open database: SQLite DSN %q names no file", dsn)
	}
	if !memory {
		if path, err = url.PathUnescape(path); err != nil {
			return "", "", false, fmt.Errorf("open database: SQLite DSN %q: %w", dsn, err)
		}
	}
	v := url.Values{}
	// busy_timeout first so the following pragmas already wait for a lock.
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	if !memory {
		v.Add("_pragma", "journal_mode(WAL)")
		// FULL syncs the WAL at every commit: an acknowledged message
		// survives a power loss. NORMAL (SQLiteSyncNormal) syncs only at
		// checkpoints: as durable against a crash of the process, but a
		// power loss may drop the last transactions, acknowledged ones
		// included.
		v.Add("_pragma", "synchronous("+strings.ToUpper(sync)+")")
	}
	v.Add("_pragma", "foreign_keys(1)")
	v.Set("_txlock", "immediate")
	if query != "" {
		extra, err := url.ParseQuery(query)
		if err != nil {
			return "", "", false, fmt.Errorf("open database: SQLite DSN query: %w", err)
		}
		for k, vals := range extra {
			if k == "_pragma" {
				v[k] = append(v[k], vals...)
				continue
			}
			v[k] = vals
		}
	}
	if memory {
		return "file::memory:?" + v.Encode(), "", true, nil
	}
	u := url.URL{Scheme: "file", Opaque: path, RawQuery: v.Encode()}
	if filepath.IsAbs(path) {
		u = url.URL{Scheme: "file", Path: path, RawQuery: v.Encode()}
	}
	return u.String(), path, false, nil
}

func openSQLite(dsn string, o Options) (*Store, error) {
	if o.SQLiteBusyTimeout <= 0 {
		o.SQLiteBusyTimeout = 10 * time.Second
	}
	sync, err := ParseSQLiteSync(o.SQLiteSync)
	if err != nil {
		return nil, err
	}
	name, path, memory, err := sqliteDSN(dsn, o.SQLiteBusyTimeout, sync)
	if err != nil {
		return nil, err
	}
	if !memory {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("open database: create folder for SQLite file: %w", err)
		}
	}
	sqldb, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database: %w", err)
	}
	switch {
	case memory:
		o.MaxOpenConns, o.MaxIdleConns = 1, 1
		o.ConnMaxLifetime, o.ConnMaxIdleTime = 0, 0
	case o.MaxOpenConns <= 0:
		o.MaxOpenConns = 8
	}
	setPool(sqldb, o)
	return &Store{db: bun.NewDB(sqldb, sqlitedialect.New()), dialect: DialectSQLite, now: o.Now,
		writeSem: make(chan struct{}, 1)}, nil
}

// SQLite synchronous settings (Options.SQLiteSync).
const (
	SQLiteSyncFull   = "full"
	SQLiteSyncNormal = "normal"
)

// ParseSQLiteSync checks a SQLite synchronous setting: "full" (also
// "", the default) or "normal", in any case.
func ParseSQLiteSync(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", SQLiteSyncFull:
		return SQLiteSyncFull, nil
	case SQLiteSyncNormal:
		return SQLiteSyncNormal, nil
	}
	return "", fmt.Errorf("SQLite synchronous setting must be %q (the default: every commit synced) or %q (synced at checkpoints: a power loss may drop acknowledged messages), not %q",
		SQLiteSyncFull, SQLiteSyncNormal, s)
}

func openPostgres(dsn string, o Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL database: parse DSN: %w", err)
	}
	// bun formats values into the SQL text itself, so the extended
	// protocol's prepare round trip would buy nothing but a statement
	// cache full of one-off queries.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	afterConnect := func(_ context.Context, c *pgx.Conn) error {
		// Return timestamptz values in UTC rather than time.Local.
		c.TypeMap().RegisterType(&pgtype.Type{
			Name:  "timestamptz",
			OID:   pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	sqldb := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(afterConnect))
	switch {
	case o.MaxOpenConns <= 0:
		o.MaxOpenConns = 16
	case o.MaxOpenConns < 2:
		o.MaxOpenConns = 2 // Migrate holds one connection for its lock
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = 30 * time.Minute
	}
	if o.ConnMaxIdleTime <= 0 {
		o.ConnMaxIdleTime = 5 * time.Minute
	}
	setPool(sqldb, o)
	s := &Store{db: bun.NewDB(sqldb, pgdialect.New()), dialect: DialectPostgres, now: o.Now}

	// Messages: the one statement AppendIf sends, prepared once per
	// connection, on connections of their own so that a burst of
	// messages never waits behind the pool's other queries.
	acfg := cfg.Copy()
	acfg.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	// Every statement of this pool is a point operation on an indexed key
	// (TestPreparedPoolPlansUseIndexesOnSmallTables), and PostgreSQL
	// caches its plans, and its foreign-key checks' plans, per
	// connection. Planned from statistics of a few rows (autovacuum
	// analyzes a new deployment's tables early), a cached plan would scan
	// the whole table for as long as it is cached while the table grows:
	// chat starts fell from ~3,500 to ~570/s. With sequential scans off,
	// the planner takes the index whatever the statistics say.
	acfg.RuntimeParams["enable_seqscan"] = "off"
	batches := o.AppendBatches
	switch {
	case batches == 0:
		batches = DefaultAppendBatches
	case batches < 0:
		batches = 0
	}
	starts := o.StartBatches
	switch {
	case batches == 0 || starts < 0:
		starts = 0
	case starts == 0:
		starts = DefaultStartBatches
	}
	s.appendDB = stdlib.OpenDB(*acfg, stdlib.OptionAfterConnect(afterConnect))
	// Beside the batches in flight, room for the other prepared
	// statements (a chat start's user look-up, notifications).
	setPool(s.appendDB, Options{MaxOpenConns: batches + starts + preparedConns, ConnMaxLifetime: o.ConnMaxLifetime, ConnMaxIdleTime: o.ConnMaxIdleTime})
	if batches > 0 {
		s.appends = newAppendBatcher(s.appendDB, batches)
		s.reads = newAppendBatcher(s.appendDB, readBatches)
	}
	if starts > 0 {
		s.starts = newAppendBatcher(s.appendDB, starts)
	}
	return s, nil
}

func setPool(db *sql.DB, o Options) {
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = o.MaxOpenConns
	}
	db.SetMaxOpenConns(o.MaxOpenConns)
	db.SetMaxIdleConns(o.MaxIdleConns)
	db.SetConnMaxLifetime(o.ConnMaxLifetime)
	db.SetConnMaxIdleTime(o.ConnMaxIdleTime)
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

// discardConn makes database/sql drop c instead of returning it to the pool.
func discardConn(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}
