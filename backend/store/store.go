// Package store is halochat's storage layer: bun models, frozen migrations
// and the queries the rest of the backend needs, on SQLite (the embedded
// default, pure Go through modernc.org/sqlite) and PostgreSQL (through
// pgx's database/sql driver).
//
// Every call takes a context. Errors say what was being done and wrap one
// of the sentinels [ErrNotFound], [ErrConflict], [ErrInvalid],
// [ErrExpired] or [ErrUsed] where one applies, so callers can test with
// errors.Is. Times are written in UTC and read back in UTC.
//
// Races are settled in the database, the same way on both dialects:
// per-chat message sequence numbers come from
// `UPDATE chats SET last_seq = last_seq + n … RETURNING last_seq` inside the
// message transaction, idempotent sends from a unique (chat, client message
// id), and claims (agent accept, single-use matching data) from conditional
// UPDATEs and their rows-affected count.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
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

// Dialect names returned by [Store.Dialect].
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Options tunes [OpenWithOptions]. The zero value gives the defaults.
type Options struct {
	// MaxOpenConns caps the pool. Default: 16 on PostgreSQL (at least 2),
	// 8 on a SQLite file (WAL lets readers run beside the single writer),
	// 1 for an in-memory SQLite database (each connection would see its own).
	MaxOpenConns int
	// MaxIdleConns defaults to MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime defaults to 30 minutes on PostgreSQL, unlimited on SQLite.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime defaults to 5 minutes on PostgreSQL, unlimited on SQLite.
	ConnMaxIdleTime time.Duration
	// SQLiteBusyTimeout is how long a SQLite writer waits for the write
	// lock before failing with "database is locked". Default 10 s.
	SQLiteBusyTimeout time.Duration
	// AppendBatches (PostgreSQL) is how many batches of messages commit
	// at once, each on a connection of its own beside the pool: while
	// that many are in flight, new messages wait and go together in the
	// next (see appendBatcher). Default DefaultAppendBatches; -1 commits
	// each message on its own, unbatched.
	AppendBatches int
	// Now is the clock used for timestamps and expiry checks; default
	// time.Now. Tests set it.
	Now func() time.Time
}

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db      *bun.DB
	dialect string
	now     func() time.Time
	// writeSem (SQLite only) lets one of this process's transactions at a
	// time ask SQLite for the write lock; see Store.tx.
	writeSem chan struct{}
	// appendDB and appends (PostgreSQL only) commit messages: a small
	// pool of its own whose connections prepare and cache statements,
	// and the batcher that groups them (see AppendIf).
	appendDB *sql.DB
	appends  *appendBatcher
	// reads batches the look-ups every chat start makes (one pipeline,
	// one round trip, for those that arrive together).
	reads *appendBatcher
	// config caches profiles, flows and custom fields for the chat
	// runtime (see CachedProfile).
	config configCache
}

// Open opens the database named by dsn with default [Options]. See
// [OpenWithOptions] for the DSN forms.
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenWithOptions(ctx, dsn, Options{})
}

// OpenWithOptions opens the database named by dsn and pings it:
//
//   - sqlite:///abs/path/file.db, sqlite://relative/path.db, or
//     sqlite::memory: (a private in-memory database, for tests). The file's
//     folder is created if missing. Query parameters after '?' are passed to
//     the driver after the defaults (WAL, busy timeout, foreign keys,
//     immediate transactions).
//   - postgres://… or postgresql://… (any form pgx accepts).
//
// The schema is not touched: call [Store.Migrate].
func OpenWithOptions(ctx context.Context, dsn string, o Options) (*Store, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err = openSQLite(dsn, o)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(dsn, o)
	default:
		return nil, fmt.Errorf("open database: unsupported DSN %q: want sqlite:///path/file.db or postgres://…", redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// sqliteDSN turns a sqlite: DSN into a modernc.org/sqlite file name, and
// returns the file's path ("" in memory).
func sqliteDSN(dsn string, busy time.Duration) (name, path string, memory bool, err error) {
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
		// NORMAL is durable against application crashes in WAL mode and
		// only risks the last transactions on power loss; it halves fsyncs.
		v.Add("_pragma", "synchronous(NORMAL)")
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
	name, path, memory, err := sqliteDSN(dsn, o.SQLiteBusyTimeout)
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
	s.appendDB = stdlib.OpenDB(*acfg, stdlib.OptionAfterConnect(afterConnect))
	// Beside the batches in flight, room for the other prepared
	// statements (a chat start's user look-up, notifications).
	setPool(s.appendDB, Options{MaxOpenConns: batches + preparedConns, ConnMaxLifetime: o.ConnMaxLifetime, ConnMaxIdleTime: o.ConnMaxIdleTime})
	if batches > 0 {
		s.appends = newAppendBatcher(s.appendDB, batches)
		s.reads = newAppendBatcher(s.appendDB, readBatches)
	}
	return s, nil
}

// preparedConns is how many connections of the prepared-statement pool
// are not kept for commit batches: the read batches and notifications.
const preparedConns = readBatches + 2

// readBatches is how many batches of look-ups run at once.
const readBatches = 2

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

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.dialect, err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	if s.appendDB != nil {
		if err := s.appendDB.Close(); err != nil {
			return fmt.Errorf("close %s database's message pool: %w", s.dialect, err)
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s database: %w", s.dialect, err)
	}
	return nil
}

// Dialect returns DialectSQLite ("sqlite") or DialectPostgres ("postgres").
func (s *Store) Dialect() string { return s.dialect }

// DB returns the bun handle for queries this package does not offer.
func (s *Store) DB() *bun.DB { return s.db }

// Notify sends a PostgreSQL notification on channel (a prepared
// statement: the cluster broker sends one every few milliseconds).
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.appendDB == nil {
		return fmt.Errorf("notify %s: the %s store has no notifications", channel, s.dialect)
	}
	if _, err := s.appendDB.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Now returns the store's clock reading in UTC, truncated to the
// microsecond (what both databases keep), so a stored time reads back
// equal to the one written.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// tx runs fn in a transaction (BEGIN IMMEDIATE on SQLite, so a
// read-then-write cannot fail with SQLITE_BUSY half-way).
//
// On SQLite the process's transactions also queue in Go for their turn: SQLite
// has one writer at a time, and writers that wait inside SQLite poll with
// growing sleeps (busy_timeout), which stretches tail latency; waiting on a
// channel hands the lock over at once. Other processes are still held off
// by the busy timeout.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	release, err := s.writeTurn(ctx)
	if err != nil {
		return err
	}
	defer release()
	return s.db.RunInTx(ctx, nil, fn)
}

// writeTurn waits, on SQLite, until no other write of this process is in
// progress, and returns the function that ends the turn. SQLite has one
// writer at a time, and writers that wait inside SQLite poll with growing
// sleeps (busy_timeout): measured with 16 goroutines appending and reading
// on 8 connections, the slowest call took 340 ms that way and 10 ms when
// writers queue here instead. Other processes are still held off by the
// busy timeout. Every write of this package takes a turn (transactions
// through tx, single statements through execWrite).
func (s *Store) writeTurn(ctx context.Context) (func(), error) {
	if s.writeSem == nil {
		return func() {}, nil
	}
	select {
	case s.writeSem <- struct{}{}:
		return func() { <-s.writeSem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the SQLite write lock: %w", ctx.Err())
	}
}

// execer is a bun UPDATE, DELETE or INSERT query.
type execer interface {
	Exec(ctx context.Context, dest ...any) (sql.Result, error)
}

// execWrite runs a single-statement write in a write turn.
func (s *Store) execWrite(ctx context.Context, q execer) (sql.Result, error) {
	release, err := s.writeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return q.Exec(ctx)
}

// discardConn makes database/sql drop c instead of returning it to the pool.
func discardConn(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// errRetry asks a transaction's caller to run it again.
var errRetry = errors.New("store: retry transaction")
