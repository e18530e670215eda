package store

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/uptrace/bun"
)

// Page bounds a list query. A zero Limit means DefaultLimit; a Limit above
// MaxLimit is cut to MaxLimit.
type Page struct {
	Offset int64
	Limit  int64
}

// List limits.
const (
	DefaultLimit int64 = 100
	MaxLimit     int64 = 1000
)

func (p Page) apply(q *bun.SelectQuery) *bun.SelectQuery {
	limit := p.Limit
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	q = q.Limit(limit)
	if p.Offset > 0 {
		q = q.Offset(p.Offset)
	}
	return q
}

// getOne selects the first row of T that where selects.
func getOne[T any](ctx context.Context, db bun.IDB, what string, where func(*bun.SelectQuery) *bun.SelectQuery) (*T, error) {
	v := new(T)
	q := db.NewSelect().Model(v)
	if where != nil {
		q = where(q)
	}
	if err := q.Limit(1).Scan(ctx); err != nil {
		return nil, wrap(err, what)
	}
	utcTimes(v)
	return v, nil
}

// list selects the rows of T that where selects, in its order.
func list[T any](ctx context.Context, db bun.IDB, what string, where func(*bun.SelectQuery) *bun.SelectQuery) ([]T, error) {
	var out []T
	q := db.NewSelect().Model(&out)
	if where != nil {
		q = where(q)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, what)
	}
	for i := range out {
		utcTimes(&out[i])
	}
	return out, nil
}

// insert inserts model (filling its autoincrement id) with db, which is
// a transaction: see Store.insert outside one.
func insert(ctx context.Context, db bun.IDB, what string, model any) error {
	if err := checkModel(what, model); err != nil {
		return err
	}
	_, err := db.NewInsert().Model(model).Exec(ctx)
	return wrap(err, what)
}

// insert inserts model (filling its autoincrement id).
func (s *Store) insert(ctx context.Context, what string, model any) error {
	if err := checkModel(what, model); err != nil {
		return err
	}
	_, err := s.execWrite(ctx, s.db.NewInsert().Model(model))
	return wrap(err, what)
}

// updatePK updates the row of model by primary key, all columns but except;
// ErrNotFound when no row has that key.
func (s *Store) updatePK(ctx context.Context, what string, model any, except ...string) error {
	if err := checkModel(what, model); err != nil {
		return err
	}
	q := s.db.NewUpdate().Model(model).WherePK()
	if len(except) > 0 {
		q = q.ExcludeColumn(except...)
	}
	res, err := s.execWrite(ctx, q)
	return affected(res, err, what)
}

// deleteWhere deletes the rows of T selected by where; ErrNotFound when none.
func deleteWhere[T any](ctx context.Context, s *Store, what string, where string, args ...any) error {
	res, err := s.execWrite(ctx, s.db.NewDelete().Model((*T)(nil)).Where(where, args...))
	return affected(res, err, what)
}

// affected turns an Exec result into ErrNotFound when no row was touched.
func affected(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	n, err := rowsAffected(res, err, what)
	if err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
}

// rowsAffected is how many rows an Exec touched, its error said with
// what was being done.
func rowsAffected(res interface{ RowsAffected() (int64, error) }, err error, what string) (int64, error) {
	if err != nil {
		return 0, wrap(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: rows affected: %w", what, err)
	}
	return n, nil
}

// utcTimes sets every time.Time field of the struct model points to to
// UTC. SQLite hands back text that time.Parse puts in time.Local when the
// offset matches it; PostgreSQL is set up to scan in UTC already.
func utcTimes(model any) {
	v := reflect.ValueOf(model).Elem()
	if v.Kind() != reflect.Struct {
		return
	}
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Type() != reflect.TypeFor[time.Time]() || !f.CanSet() {
			continue
		}
		if t := f.Interface().(time.Time); !t.IsZero() {
			f.Set(reflect.ValueOf(t.UTC()))
		}
	}
}
