package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"halochat/backend/store"
)

// backup writes a consistent copy of the SQLite database at dsn to out
// while the service may run on it (store.BackupSQLite). PostgreSQL is
// refused with the pg_dump line to use.
func backup(ctx context.Context, logger *slog.Logger, dsn, out string) error {
	if out == "" {
		return errors.New("backup: --out names no file: give the file to write the copy to")
	}
	start := time.Now()
	if err := store.BackupSQLite(ctx, dsn, out); err != nil {
		return err
	}
	size := int64(-1)
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	logger.Info("backup written", "file", out, "bytes", size, "took", time.Since(start))
	return nil
}

// restore puts the backup from in place of the SQLite database at dsn
// (store.RestoreSQLite); the service must be stopped.
func restore(ctx context.Context, logger *slog.Logger, from, dsn string, force bool) error {
	if from == "" {
		return errors.New("restore: --from names no file: give the backup to restore")
	}
	if err := store.RestoreSQLite(ctx, from, dsn, force); err != nil {
		return err
	}
	logger.Info("backup restored: start the service on it", "from", from, "db", dsn)
	return nil
}
