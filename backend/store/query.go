package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
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
	q = q.Limit(p.limit())
	if p.Offset > 0 {
		q = q.Offset(p.Offset)
	}
	return q
}

// limit is the page's size: Limit, DefaultLimit for none, at most
// MaxLimit.
func (p Page) limit() int64 {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
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

// getBy returns the row of T whose column col holds v: the look-up by id,
// name or key every table has. A text v is checked first (checkText,
// naming the column): PostgreSQL fails on a NUL byte where SQLite finds
// nothing, and both must answer ErrInvalid alike.
func getBy[T any](ctx context.Context, db bun.IDB, what, col string, v any) (*T, error) {
	if text, ok := v.(string); ok {
		if err := checkText(what, strings.ReplaceAll(col, "_", " "), text); err != nil {
			return nil, err
		}
	}
	return getOne[T](ctx, db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("?TableAlias.? = ?", bun.Ident(col), v)
	})
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

// orderBy is list's where for every row, in the order of cols.
func orderBy(cols ...string) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery { return q.Order(cols...) }
}

// whereIf adds "col = v" to q unless v is the zero value: a filter's zero
// fields do not filter.
func whereIf[V comparable](q *bun.SelectQuery, col string, v V) *bun.SelectQuery {
	var zero V
	if v == zero {
		return q
	}
	return q.Where(col+" = ?", v)
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

// create inserts a new row once check (nil: none) accepts it, its
// CreatedAt and UpdatedAt set from one clock reading: the admin API's
// tables (profiles, flows, fields, agents…) all keep both times, and a
// new row's two are equal.
func create[T any](ctx context.Context, s *Store, what string, row *T, check func(string, *T) error) error {
	if check != nil {
		if err := check(what, row); err != nil {
			return err
		}
	}
	stamp(row, s.Now(), "CreatedAt", "UpdatedAt")
	if a := pendingAudit(ctx); a != nil {
		a.describe(nil, row)
	}
	return s.withSealed(row, func() error { return s.insert(ctx, what, row) })
}

// update saves every column of row but created_at and except, by primary
// key, once check (nil: none) accepts it, with UpdatedAt set to now;
// ErrNotFound when no row has that key. It is create's counterpart: the
// admin API saves a whole row back.
func update[T any](ctx context.Context, s *Store, what string, row *T, check func(string, *T) error, except ...string) error {
	if check != nil {
		if err := check(what, row); err != nil {
			return err
		}
	}
	stamp(row, s.Now(), "UpdatedAt")
	if err := checkModel(what, row); err != nil {
		return err
	}
	return s.withSealed(row, func() error { return updateRow(ctx, s, what, row, except) })
}

// updateRow is update's write, with row's secrets sealed.
func updateRow[T any](ctx context.Context, s *Store, what string, row *T, except []string) error {
	q := s.db.NewUpdate().Model(row).WherePK().ExcludeColumn(append(except, "created_at")...)
	if a := pendingAudit(ctx); a != nil {
		return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			// The row as it was, for the audit row's changed fields.
			was := new(T)
			*was = *row
			if err := tx.NewSelect().Model(was).WherePK().Scan(ctx); err != nil {
				return wrap(err, what)
			}
			res, err := q.Conn(tx).Exec(ctx)
			if err := affected(res, err, what); err != nil {
				return err
			}
			a.describe(was, row)
			return nil
		})
	}
	res, err := s.execWrite(ctx, q)
	return affected(res, err, what)
}

// stamp sets the time.Time fields named of the struct row points to. Every
// model create and update take has CreatedAt and UpdatedAt; a name it
// lacks panics, at the first test that stores one.
func stamp(row any, now time.Time, fields ...string) {
	v := reflect.ValueOf(row).Elem()
	for _, f := range fields {
		v.FieldByName(f).Set(reflect.ValueOf(now))
	}
}

// deleteRows deletes the rows of T selected by where and says how many
// went: the sweeps of expired rows, and deletes that may find nothing.
func deleteRows[T any](ctx context.Context, s *Store, what string, where string, args ...any) (int64, error) {
	res, err := s.execWrite(ctx, s.db.NewDelete().Model((*T)(nil)).Where(where, args...))
	return rowsAffected(res, err, what)
}

// deleteWhere deletes the rows of T selected by where; ErrNotFound when none.
func deleteWhere[T any](ctx context.Context, s *Store, what string, where string, args ...any) error {
	n, err := deleteRows[T](ctx, s, what, where, args...)
	if err == nil && n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
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
