package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SQLitePath is the file a sqlite: DSN names; an error for any other DSN
// (PostgreSQL is backed up with pg_dump) and for an in-memory database.
func SQLitePath(dsn string) (string, error) {
	if !strings.HasPrefix(dsn, "sqlite:") {
		return "", fmt.Errorf("%s is not a SQLite database: back PostgreSQL up with pg_dump (README.md#backups)", redact(dsn))
	}
	_, path, memory, err := sqliteDSN(dsn, time.Second, SQLiteSyncFull)
	if err != nil {
		return "", err
	}
	if memory {
		return "", errors.New("an in-memory SQLite database has no file to back up")
	}
	return path, nil
}

// BackupSQLite writes a consistent copy of the SQLite database at dsn to
// the file out, while the service may go on writing to it: VACUUM INTO
// reads the database in one read transaction (WAL mode lets the writer
// go on beside it), so the copy holds exactly the transactions committed
// before it began — never half of one — and is compact, with no WAL of
// its own. The copy is written under a temporary name beside out,
// synced, and renamed to out: out never holds a partial copy. An existing
// out is refused.
func BackupSQLite(ctx context.Context, dsn, out string) error {
	src, err := SQLitePath(dsn)
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("back up to %s: the file exists (a backup never overwrites one)", out)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("back up to %s: %w", out, err)
	}
	tmp := filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".partial")
	_ = os.Remove(tmp) // a crashed backup's leftovers
	defer os.Remove(tmp)
	// Through the store's own connection settings (busy timeout, WAL),
	// never creating or migrating anything.
	st, err := OpenWithOptions(ctx, dsn, Options{MaxOpenConns: 1})
	if err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	defer st.Close()
	if _, err := st.db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return fmt.Errorf("back up %s: VACUUM INTO: %w", src, err)
	}
	if err := checkSQLiteFile(ctx, tmp); err != nil {
		return fmt.Errorf("back up %s: the copy: %w", src, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		return fmt.Errorf("back up %s: %w", src, err)
	}
	return syncFile(filepath.Dir(abs))
}

// RestoreSQLite puts the backup file in at dsn's path, for a service
// that is stopped: the backup is checked first (PRAGMA integrity_check),
// copied beside the target under a temporary name, synced and renamed
// over it, and the target's old WAL and shared-memory files removed
// (they belong to the database replaced). An existing database is
// replaced only with force.
func RestoreSQLite(ctx context.Context, from, dsn string, force bool) error {
	dst, err := SQLitePath(dsn)
	if err != nil {
		return err
	}
	if err := checkSQLiteFile(ctx, from); err != nil {
		return fmt.Errorf("restore from %s: %w", from, err)
	}
	if _, err := os.Stat(dst); err == nil && !force {
		return fmt.Errorf("restore to %s: a database is there (stop the service, and pass --force to replace it)", dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("restore to %s: %w", dst, err)
	}
	tmp := dst + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore to %s: %w", dst, err)
	}
	for _, stale := range []string{dst + "-wal", dst + "-shm"} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return fmt.Errorf("restore to %s: remove the old %s: %w", dst, stale, err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore to %s: %w", dst, err)
	}
	return syncFile(filepath.Dir(dst))
}

// checkSQLiteFile opens path read-only and runs PRAGMA integrity_check.
func checkSQLiteFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro"}).String())
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("not a readable SQLite database: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := out.ReadFrom(in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncFile fsyncs a file or a directory (a rename is durable once its
// directory is synced).
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
