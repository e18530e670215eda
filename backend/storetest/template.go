package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the server's admin statements
	_ "modernc.org/sqlite"             // the "sqlite" driver, for VACUUM INTO

	"halochat/backend/store"
	"halochat/backend/testenv"
)

// fromTemplate fills the empty database at dsn with a copy of a migrated
// one, kept a schema (store.SchemaID): a file in the temporary folder for
// SQLite, a template database on the server for PostgreSQL. Migrating
// each test's own database cost ~0.45 s of PostgreSQL's time, and ~0.65 s
// of CPU on SQLite under the race detector, in every test. A database
// that is not empty (a second node opening the first's) is left as it
// is, and whatever goes wrong here leaves the database to be migrated as
// before. The store's own tests migrate for real (testenv.OpenStore).
func fromTemplate(t testing.TB, dsn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		err = sqliteFromTemplate(ctx, dsn)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		err = postgresFromTemplate(ctx, dsn)
	}
	if err != nil {
		t.Logf("the test database is migrated, not copied: %v", err)
	}
}

// sqliteFromTemplate copies the schema's migrated file to dsn's path
// where no database is yet.
func sqliteFromTemplate(ctx context.Context, dsn string) error {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite://"), "?")
	if path == "" || strings.HasPrefix(path, ":") {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	}
	tmpl := filepath.Join(os.TempDir(), "halochat-schema-"+store.SchemaID(store.DialectSQLite)+".db")
	if _, err := os.Stat(tmpl); errors.Is(err, fs.ErrNotExist) {
		if err := makeSQLiteTemplate(ctx, tmpl); err != nil {
			return err
		}
	}
	return copyFile(tmpl, path)
}

// makeSQLiteTemplate migrates a new file and writes it, whole (VACUUM
// INTO: no WAL beside it), to tmpl; processes that make it at once each
// write their own and the last rename wins, all alike.
func makeSQLiteTemplate(ctx context.Context, tmpl string) error {
	dir, err := os.MkdirTemp("", "halochat-schema-")
	if err != nil {
		return fmt.Errorf("make the SQLite schema template: %w", err)
	}
	defer os.RemoveAll(dir)
	work := filepath.Join(dir, "migrated.db")
	if err := migrateAndClose(ctx, "sqlite://"+work); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", work)
	if err != nil {
		return fmt.Errorf("open the migrated SQLite template: %w", err)
	}
	defer db.Close()
	// Written beside tmpl, then renamed: a reader never sees half a file.
	next := tmpl + "." + randomHex() + ".tmp"
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", next); err != nil {
		_ = os.Remove(next)
		return fmt.Errorf("write the SQLite schema template: %w", err)
	}
	if err := os.Rename(next, tmpl); err != nil {
		_ = os.Remove(next)
		return fmt.Errorf("keep the SQLite schema template: %w", err)
	}
	return nil
}

// postgresFromTemplate replaces the empty database of dsn with a copy of
// the schema's template database, made first if the server has none.
func postgresFromTemplate(ctx context.Context, dsn string) error {
	base := os.Getenv(testenv.EnvPostgres)
	if base == "" {
		return nil
	}
	name, err := databaseOf(dsn)
	if err != nil {
		return err
	}
	if empty, err := isEmptyPostgres(ctx, dsn); err != nil || !empty {
		return err
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", testenv.EnvPostgres, err)
	}
	defer admin.Close()
	tmpl, err := postgresTemplate(ctx, admin, base)
	if err != nil {
		return err
	}
	// Nobody uses the new, empty database yet: the drop cannot hurt.
	if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name); err != nil {
		return fmt.Errorf("drop the empty database %s: %w", name, err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl); err != nil {
		// Put the empty one back for the migrations.
		if _, err2 := admin.ExecContext(ctx, "CREATE DATABASE "+name); err2 != nil {
			return fmt.Errorf("copy %s to %s: %w; and recreate it empty: %v", tmpl, name, err, err2)
		}
		return fmt.Errorf("copy %s to %s: %w", tmpl, name, err)
	}
	return nil
}

// templateLockKey serialises the making of the template databases
// between test processes ("halotp").
const templateLockKey = 0x6861_6c6f_7470

// postgresTemplate returns the name of the schema's template database on
// the server of base, made under an advisory lock if it is missing;
// templates of older schemas are dropped then.
func postgresTemplate(ctx context.Context, admin *sql.DB, base string) (string, error) {
	tmpl := "halochat_schema_" + store.SchemaID(store.DialectPostgres)
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("connect for the template lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SELECT pg_advisory_lock(%d)", templateLockKey)); err != nil {
		return "", fmt.Errorf("take the template lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("SELECT pg_advisory_unlock(%d)", templateLockKey))
	}()
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
		return "", fmt.Errorf("look for %s: %w", tmpl, err)
	}
	if exists {
		return tmpl, nil
	}
	work := "halochat_schema_work_" + randomHex()
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+work); err != nil {
		return "", fmt.Errorf("create %s: %w", work, err)
	}
	workDSN, err := withDatabase(base, work)
	if err == nil {
		err = migrateAndClose(ctx, workDSN)
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "ALTER DATABASE "+work+" RENAME TO "+tmpl)
	}
	if err != nil {
		_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+work+" WITH (FORCE)")
		return "", fmt.Errorf("make the template %s: %w", tmpl, err)
	}
	// Older schemas' templates: dropped unless a copy is being made.
	rows, err := conn.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'halochat\\_schema\\_%' AND datname <> $1", tmpl)
	if err == nil {
		var old []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				old = append(old, n)
			}
		}
		_ = rows.Close()
		for _, n := range old {
			_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+n)
		}
	}
	return tmpl, nil
}

// isEmptyPostgres tells whether the database of dsn has no migrations
// table (nothing migrated it yet).
func isEmptyPostgres(ctx context.Context, dsn string) (bool, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return false, fmt.Errorf("connect to the test database: %w", err)
	}
	defer db.Close()
	var migrated bool
	if err := db.QueryRowContext(ctx, "SELECT to_regclass('public.bun_migrations') IS NOT NULL").Scan(&migrated); err != nil {
		return false, fmt.Errorf("look into the test database: %w", err)
	}
	return !migrated, nil
}

// migrateAndClose opens and migrates the store at dsn, then closes it.
func migrateAndClose(ctx context.Context, dsn string) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open the template store: %w", err)
	}
	err = st.Migrate(ctx)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close the template store: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("migrate the template store: %w", err)
	}
	return nil
}

// databaseOf returns the database name of a PostgreSQL DSN, checked to
// be a plain identifier (it goes into statements unquoted).
func databaseOf(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse the test database's DSN: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return "", fmt.Errorf("the test database's name %q is not a plain identifier", name)
	}
	return name, nil
}

// withDatabase returns base's DSN with database name in its path.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", testenv.EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copy the schema template: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("copy the schema template: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		_ = os.Remove(to)
		return fmt.Errorf("copy the schema template to %s: %w", to, err)
	}
	if err := out.Close(); err != nil {
		_ = os.Remove(to)
		return fmt.Errorf("copy the schema template to %s: %w", to, err)
	}
	return nil
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
