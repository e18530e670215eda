// Package storetest gives tests a migrated store on a real database, and
// the demo seeded into it, closed when the test ends.
package storetest

import (
	"context"
	"testing"

	"halochat/backend/demo"
	"halochat/backend/store"
)

// Open opens and migrates the store at dsn (see testenv.Databases for
// DSNs) and closes it when the test ends.
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open the test store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate the test store: %v", err)
	}
	return st
}

// Demo opens the store at dsn and seeds the demo into it.
func Demo(t testing.TB, dsn string) (*store.Store, *demo.Result) {
	t.Helper()
	st := Open(t, dsn)
	res, err := demo.Seed(context.Background(), st)
	if err != nil {
		t.Fatalf("seed the demo: %v", err)
	}
	return st, res
}
