package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"halochat/backend/testenv"
)

func TestOpenDSN(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{
		"sqlite://" + filepath.Join(dir, "new", "folder", "a.db"),
		"sqlite::memory:",
	} {
		s := testenv.OpenStore(t, dsn, Open)
		p := &ChatProfile{Name: "p", Access: AccessPortal}
		must(t, s.CreateProfile(ctx, p))
		if _, err := s.GetProfile(ctx, p.ID); err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		var journal string
		must(t, s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal))
		var fk int
		must(t, s.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
		var busy int
		must(t, s.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
		t.Logf("%s: journal_mode=%s foreign_keys=%d busy_timeout=%d", dsn, journal, fk, busy)
		if fk != 1 || busy != 10000 {
			t.Errorf("%s: foreign_keys=%d busy_timeout=%d", dsn, fk, busy)
		}
		if dsn != "sqlite::memory:" && journal != "wal" {
			t.Errorf("%s: journal_mode=%s, want wal", dsn, journal)
		}
	}
	if _, err := Open(ctx, "mysql://x"); err == nil {
		t.Error("Open(mysql://x) succeeded")
	}
}

func TestSQLiteDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, prefix string
		memory      bool
	}{
		{"sqlite:///abs/dir/a.db", "file:///abs/dir/a.db?", false},
		{"sqlite://rel/a.db", "file:rel/a.db?", false},
		{"sqlite:a.db", "file:a.db?", false},
		{"sqlite:///abs/my%20dir/a.db", "file:///abs/my%20dir/a.db?", false},
		{"sqlite::memory:", "file::memory:?", true},
	} {
		name, _, memory, err := sqliteDSN(tc.dsn, 10*time.Second, SQLiteSyncFull)
		if err != nil || memory != tc.memory || len(name) < len(tc.prefix) || name[:len(tc.prefix)] != tc.prefix {
			t.Errorf("sqliteDSN(%q) = %q, %v, %v; want prefix %q", tc.dsn, name, memory, err, tc.prefix)
		}
	}
	name, _, _, err := sqliteDSN("sqlite:///abs/a.db?_pragma=cache_size(-20000)&_txlock=deferred", 5*time.Second, SQLiteSyncFull)
	must(t, err)
	for _, want := range []string{"busy_timeout%285000%29", "journal_mode%28WAL%29", "foreign_keys%281%29", "cache_size%28-20000%29", "_txlock=deferred"} {
		if !strings.Contains(name, want) {
			t.Errorf("sqliteDSN with options = %q, missing %q", name, want)
		}
	}
	if _, _, _, err := sqliteDSN("sqlite://", time.Second, SQLiteSyncFull); err == nil {
		t.Error("sqliteDSN(sqlite://) succeeded")
	}
}

// TestSQLiteSync: a SQLite file syncs every commit (synchronous FULL)
// unless NORMAL is asked for, on every connection of the pool; anything
// else is refused, naming both settings.
func TestSQLiteSync(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		setting string
		want    int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{{"", 2}, {"full", 2}, {"FULL", 2}, {"normal", 1}} {
		st, err := OpenWithOptions(ctx, testenv.SQLiteDSN(t), Options{SQLiteSync: tc.setting})
		must(t, err)
		conns := make([]*sql.Conn, 3) // held at once: three connections
		for i := range conns {
			c, err := st.DB().DB.Conn(ctx)
			must(t, err)
			conns[i] = c
			var got int
			must(t, c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got))
			if got != tc.want {
				t.Errorf("SQLiteSync %q: connection %d has synchronous %d, want %d", tc.setting, i, got, tc.want)
			}
		}
		for _, c := range conns {
			_ = c.Close()
		}
		_ = st.Close()
	}
	_, err := OpenWithOptions(ctx, testenv.SQLiteDSN(t), Options{SQLiteSync: "off"})
	if err == nil || !strings.Contains(err.Error(), `"full"`) || !strings.Contains(err.Error(), `"normal"`) {
		t.Errorf("SQLiteSync off: %v, want a refusal naming full and normal", err)
	}
}

// TestSQLiteImmediate checks that SQLite transactions take the write lock
// at BEGIN (_txlock=immediate): a transaction that has only read still
// keeps another connection's writer out.
func TestSQLiteImmediate(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.SQLiteDSN(t)
	a := testenv.OpenStore(t, dsn, Open)
	b, err := OpenWithOptions(ctx, dsn, Options{SQLiteBusyTimeout: 50 * time.Millisecond})
	must(t, err)
	t.Cleanup(func() { _ = b.Close() })

	tx, err := a.DB().BeginTx(ctx, nil)
	must(t, err)
	var n int
	must(t, tx.QueryRowContext(ctx, "SELECT count(*) FROM flows").Scan(&n))
	err = b.CreateFlow(ctx, &Flow{Name: "blocked"})
	if err == nil || !strings.Contains(err.Error(), "locked") || !isBusy(err) {
		t.Fatalf("write beside an open transaction: %v (isBusy %v), want database is locked", err, isBusy(err))
	}
	must(t, tx.Rollback())
	must(t, b.CreateFlow(ctx, &Flow{Name: "after"}))
}
