package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"halochat/backend/seal"
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
	// SQLiteSync is SQLite's synchronous setting on a file (WAL mode):
	// SQLiteSyncFull (the default, "") syncs the log at every commit, so
	// an acknowledged message survives a power loss; SQLiteSyncNormal
	// syncs at checkpoints only, faster, and as safe against a crash of
	// the process, but a power loss or an OS crash may lose the last
	// transactions, acknowledged ones included.
	SQLiteSync string
	// AppendBatches (PostgreSQL) is how many batches of messages commit
	// at once, each on a connection of its own beside the pool: while
	// that many are in flight, new messages wait and go together in the
	// next (see appendBatcher). Default DefaultAppendBatches; -1 commits
	// each message on its own, unbatched.
	AppendBatches int
	// StartBatches (PostgreSQL) is how many batches of chat starts commit
	// at once, beside the messages' (see createChatPG): few, so that
	// under load each batch holds more starts, and a batch of starts is
	// one statement whose work is shared (measured on
	// 2 cores: 1 batch in flight started ~5% more chats a second than 2,
	// and 2 ~10% more than 4). Default DefaultStartBatches; -1, or
	// AppendBatches -1, commits each start on its own.
	StartBatches int
	// Now is the clock used for timestamps and expiry checks; default
	// time.Now. Tests set it.
	Now func() time.Time
	// Secrets seals the secrets stored in clear until now (secrets.go);
	// nil writes them in clear.
	Secrets *seal.Ring
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
	// starts commits chat starts (createChatPG) the same way, on the
	// same pool.
	starts *appendBatcher
	// reads batches the look-ups every chat start makes (one pipeline,
	// one round trip, for those that arrive together).
	reads *appendBatcher
	// config caches profiles, flows and custom fields for the chat
	// runtime (see CachedProfile).
	config configCache
	// keys seals and opens the stored secrets (secrets.go); nil: none.
	keys *seal.Ring
	// linkKey is LinkKey's stored key once read (linkkey.go).
	linkKeyMu sync.Mutex
	linkKey   []byte
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
	s.keys = o.Secrets
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
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
	a := pendingAudit(ctx)
	if a == nil {
		return s.db.RunInTx(ctx, nil, fn)
	}
	// An audited change: its audit row is part of the transaction.
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// fn's own writes go through tx: none of them writes the row.
		if err := fn(context.WithValue(ctx, auditKey{}, (*Audit)(nil)), tx); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, a)
	})
	if err == nil {
		a.done()
	}
	return err
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
	if a := pendingAudit(ctx); a != nil {
		return s.execAudited(ctx, a, q)
	}
	release, err := s.writeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return q.Exec(ctx)
}

// errRetry asks a transaction's caller to run it again.
var errRetry = errors.New("store: retry transaction")
