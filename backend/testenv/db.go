package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// ForEachDB runs fn in a parallel subtest per database, with that
// database's DSN: "sqlite", a SQLite file in a temporary folder, and
// "postgres", a fresh database on the server HALOCHAT_TEST_POSTGRES names.
// Without that server the postgres subtest is skipped with a message
// saying how to enable it (a failure under HALOCHAT_REQUIRE_ALL=1).
func ForEachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLiteDSN(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, PostgresDSN(t))
	})
}

// PostgresDSN creates a fresh database on the server named by
// HALOCHAT_TEST_POSTGRES, drops it when the test ends, and returns its DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		Missing(t, "PostgreSQL tests skipped: set "+EnvPostgres+
			"=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		Missing(t, fmt.Sprintf("PostgreSQL at %s is not reachable (%v): start it with "+
			"'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'", u.Redacted(), err))
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "halochat_t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// SQLiteDSN returns the DSN of a SQLite file in a temporary folder of t.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite://" + t.TempDir() + "/halochat.db"
}

// Store is what OpenStore needs of a store: the store package's *Store,
// which testenv cannot name (the store's own tests import testenv).
type Store interface {
	Migrate(context.Context) error
	Close() error
}

// ForEachStoreAt is ForEachStore with a clock of each subtest's own,
// stopped at start: open is given the clock's Now. The subtests run in
// parallel, so one clock shared by both databases would be moved on by
// the one while the other reads it.
func ForEachStoreAt[S Store](t *testing.T, start time.Time, open func(ctx context.Context, dsn string, now func() time.Time) (S, error), fn func(t *testing.T, s S, clk *Clock)) {
	t.Helper()
	ForEachDB(t, func(t *testing.T, dsn string) {
		clk := NewClock(start)
		s := OpenStore(t, dsn, func(ctx context.Context, dsn string) (S, error) { return open(ctx, dsn, clk.Now) })
		fn(t, s, clk)
	})
}

// OpenStore opens the store at dsn with open (store.Open, or a function
// that passes options), migrates it, and closes it when the test ends.
func OpenStore[S Store](t testing.TB, dsn string, open func(context.Context, string) (S, error)) S {
	t.Helper()
	ctx := context.Background()
	s, err := open(ctx, dsn)
	if err != nil {
		t.Fatalf("open the test store at %s: %v", Short(dsn), err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close the test store at %s: %v", Short(dsn), err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate the test store at %s: %v", Short(dsn), err)
	}
	return s
}

// ForEachStore runs fn in a parallel subtest per database of ForEachDB,
// on a store opened there with open and migrated.
func ForEachStore[S Store](t *testing.T, open func(context.Context, string) (S, error), fn func(t *testing.T, s S)) {
	t.Helper()
	ForEachDB(t, func(t *testing.T, dsn string) { fn(t, OpenStore(t, dsn, open)) })
}
