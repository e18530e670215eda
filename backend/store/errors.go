package store

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Returned errors wrap them with what was being done; test
// with errors.Is.
var (
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value is taken, a referenced row is missing or
	// still referenced, or a conditional update lost (stale version).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input was refused before reaching the database
	// (NUL byte, invalid UTF-8, unknown enum value, bad name).
	ErrInvalid = errors.New("invalid input")
	// ErrExpired: the matching data has expired.
	ErrExpired = errors.New("expired")
	// ErrUsed: the single-use matching data was already used.
	ErrUsed = errors.New("already used")
	// ErrTokenUsed: the identity token's jti was used on the chat
	// profile before, and that use has not expired (CreateChatUsing).
	ErrTokenUsed = errors.New("identity token already used")
	// ErrUserTaken: the new user a chat's creation was to store has an
	// external id or e-mail address another user took meanwhile
	// (ChatWith.User): look the user up again. It is an ErrConflict.
	ErrUserTaken = fmt.Errorf("%w: the new user's external id or e-mail address is taken", ErrConflict)
	// ErrSessionEnded: the agent's session an append was conditioned on
	// (AppendCond.Session) has ended or expired, or the agent was
	// disabled: nothing was stored.
	ErrSessionEnded = errors.New("the agent's session has ended")
)

// wrap turns a driver error into one wrapping a sentinel where one applies,
// prefixed with what was being done. nil stays nil.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if isConstraint(err) {
		return fmt.Errorf("%s: %w: %v", what, ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isBusy reports SQLite's "database is locked": a writer waited its busy
// timeout for the write lock.
func isBusy(err error) bool {
	var sqErr *sqlite.Error
	return errors.As(err, &sqErr) && sqErr.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isConstraint reports unique and foreign-key violations on both dialects.
func isConstraint(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "23503": // unique_violation, foreign_key_violation
			return true
		}
		return false
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return true
		}
	}
	return false
}

// invalid returns an ErrInvalid error.
func invalid(what, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", what, ErrInvalid, fmt.Sprintf(format, args...))
}

// checkText refuses a string holding NUL (bun v1.3 refuses it, PostgreSQL
// cannot store it) or invalid UTF-8 (PostgreSQL refuses it, SQLite would
// store it: the two must agree).
func checkText(what, field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return invalid(what, "%s holds a NUL byte", field)
	}
	if !utf8.ValidString(s) {
		return invalid(what, "%s is not valid UTF-8", field)
	}
	return nil
}

// textOK reports whether checkText accepts s.
func textOK(s string) bool { return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) }

// checkName refuses an empty name or one checkText refuses: flows,
// profiles and ticket types are picked by their unique names.
func checkName(what, name string) error {
	if name == "" {
		return invalid(what, "name is empty")
	}
	return checkText(what, "name", name)
}

// checkModel applies checkText to every string field (and every string in
// a []string field) of the struct model points to. JSON columns are
// encoded by encoding/json, which escapes NUL and replaces invalid UTF-8.
func checkModel(what string, model any) error {
	v := reflect.Indirect(reflect.ValueOf(model))
	if v.Kind() != reflect.Struct {
		return nil
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.String:
			if err := checkText(what, f.Name, fv.String()); err != nil {
				return err
			}
		case reflect.Slice:
			if fv.Type() == reflect.TypeFor[RawJSON]() {
				if err := checkText(what, f.Name, string(fv.Bytes())); err != nil {
					return err
				}
			}
			if fv.Type().Elem().Kind() == reflect.String {
				for j := range fv.Len() {
					if err := checkText(what, f.Name, fv.Index(j).String()); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// oneOf refuses v unless it is one of allowed.
func oneOf(what, field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(what, "%s %q is not one of %s", field, v, strings.Join(allowed, ", "))
}
