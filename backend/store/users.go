package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// NormalizeEmail is how the store keeps e-mail addresses: trimmed and
// lower-cased, so that uniqueness and look-ups ignore case.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// User is a visitor or self-service portal user.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID           int64  `bun:"id,pk,autoincrement"`
	ExternalID   string `bun:"external_id,nullzero"` // the host system's id; unique when set
	Email        string `bun:"email,nullzero"`       // normalised; unique when set
	Username     string `bun:"username"`
	FirstName    string `bun:"first_name"`
	LastName     string `bun:"last_name"`
	Phone        string `bun:"phone"`
	PasswordHash string `bun:"password_hash"` // portal login; "" = none
	Disabled     bool   `bun:"disabled"`      // no portal login, sessions end
	// HintEmail is the address of a hint user: one a profile that trusts
	// its e-mail hint keeps the chats hinting that address under
	// (identity's hint users). Normalised; unique when set. It is no
	// e-mail address of the user's: no log-in finds a user by it.
	HintEmail string    `bun:"hint_email,nullzero"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// CreateUser stores a new user; ErrConflict when the external id or the
// e-mail address is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	const what = "create user"
	u.Email, u.HintEmail = NormalizeEmail(u.Email), NormalizeEmail(u.HintEmail)
	// An admin's create is audited in its own transaction (audit.go).
	if s.dialect != DialectPostgres || pendingAudit(ctx) != nil {
		return create(ctx, s, what, u, nil)
	}
	// PostgreSQL: one prepared statement committed through the batcher,
	// with the chat starts and messages of the moment (a left message
	// creates its token's new user; a chat start stores it with the chat,
	// ChatWith.User).
	if err := checkModel(what, u); err != nil {
		return err
	}
	u.CreatedAt = s.Now()
	u.UpdatedAt = u.CreatedAt
	st := batchStmt{sql: `INSERT INTO users (external_id, email, username, first_name, last_name, phone,
	password_hash, disabled, hint_email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
		args: []any{nullText(u.ExternalID), nullText(u.Email), u.Username, u.FirstName, u.LastName, u.Phone,
			u.PasswordHash, u.Disabled, nullText(u.HintEmail), u.CreatedAt}}
	var err error
	u.ID, err = s.commit(ctx, st)
	return wrap(err, what)
}

// ReserveUserID takes a new user's id from the users' sequence, for a
// user ChatWith stores with a chat (PostgreSQL: through the read batcher,
// beside the starts' look-ups). SQLite assigns ids as it inserts: 0.
func (s *Store) ReserveUserID(ctx context.Context) (int64, error) {
	if s.dialect != DialectPostgres {
		return 0, nil
	}
	var id int64
	err := s.lookup(ctx, batchStmt{sql: `SELECT nextval(pg_get_serial_sequence('users', 'id'))`,
		rows: func(r rowScanner) error {
			if !r.Next() {
				return sql.ErrNoRows
			}
			return r.Scan(&id)
		}})
	if err != nil {
		return 0, wrap(err, "reserve a user id")
	}
	return id, nil
}

// GetUser returns the user with that id.
func (s *Store) GetUser(ctx context.Context, id int64) (*User, error) {
	return getBy[User](ctx, s.db, fmt.Sprintf("get user %d", id), "id", id)
}

// GetUserByExternalID returns the user with that external id.
func (s *Store) GetUserByExternalID(ctx context.Context, externalID string) (*User, error) {
	return s.userBy(ctx, fmt.Sprintf("get user with external id %q", externalID), "external_id", externalID)
}

// GetUserByEmail returns the user with that e-mail address (any case).
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*User, error) {
	email = NormalizeEmail(email)
	return s.userBy(ctx, fmt.Sprintf("get user with e-mail %q", email), "email", email)
}

// GetUserByHintEmail returns the hint user of that address (see
// User.HintEmail; any case).
func (s *Store) GetUserByHintEmail(ctx context.Context, hint string) (*User, error) {
	hint = NormalizeEmail(hint)
	return s.userBy(ctx, fmt.Sprintf("get the hint user of %q", hint), "hint_email", hint)
}

// userBy returns the user whose unique, nullable column col holds v.
func (s *Store) userBy(ctx context.Context, what, col, v string) (*User, error) {
	if v == "" { // stored as NULL: no user has it
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return getBy[User](ctx, s.db, what, col, v)
}

// usersByExternalIDOrEmail is UsersByExternalIDOrEmail's query on
// PostgreSQL. $1 and $2 are text: an empty one matches nothing.
const usersByExternalIDOrEmail = `SELECT u.id, u.external_id, u.email, u.username, u.first_name, u.last_name,
	u.phone, u.password_hash, u.disabled, u.hint_email, u.created_at, u.updated_at FROM users AS u
WHERE (u.external_id = $1 AND $1::text <> '') OR (u.email = $2 AND $2::text <> '') LIMIT 2`

// usersOrReservedID is usersByExternalIDOrEmail that, when it finds
// neither user, answers a row with a new user's id from the sequence
// instead (its last column true).
const usersOrReservedID = `WITH f AS (` + usersByExternalIDOrEmail + `)
SELECT f.*, false FROM f
UNION ALL
SELECT nextval(pg_get_serial_sequence('users', 'id')), NULL, NULL, '', '', '', '', '', false, NULL, now(), now(), true
WHERE NOT EXISTS (SELECT FROM f)`

// usersQuery is a user look-up of the read batcher (usersBy): a batch of
// several runs them with one statement, usersLookupStatement.
type usersQuery struct {
	externalID, email string
	// reserve: a new user's id when neither is found (usersOrReservedID).
	reserve bool
}

// usersLookupStatement is usersOrReservedID, or usersByExternalIDOrEmail
// where $3's element is false, for many look-ups at once: $1-$3 hold one
// element a look-up, and each row begins with the 1-based place of the
// look-up it answers, in order. Its rows are usersOrReservedID's after
// that column (usersLookupColumns).
const usersLookupStatement = `WITH q AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[]) WITH ORDINALITY AS q(external_id, email, reserve, k)
), f AS (
	SELECT q.k, u.* FROM q CROSS JOIN LATERAL (SELECT u.id, u.external_id, u.email, u.username, u.first_name,
		u.last_name, u.phone, u.password_hash, u.disabled, u.hint_email, u.created_at, u.updated_at FROM users AS u
		WHERE (u.external_id = q.external_id AND q.external_id <> '') OR (u.email = q.email AND q.email <> '') LIMIT 2) AS u
)
SELECT f.*, false FROM f
UNION ALL
SELECT q.k, nextval(pg_get_serial_sequence('users', 'id')), NULL, NULL, '', '', '', '', '', false, NULL, now(), now(), true
FROM q WHERE q.reserve AND NOT EXISTS (SELECT FROM f WHERE f.k = q.k)
ORDER BY 1`

// usersLookupColumns is how many columns usersLookupStatement's rows
// have after the look-up's place.
const usersLookupColumns = 13

// UsersByExternalIDOrEmail returns, in one query, the user with that
// external id and the user with that e-mail address (any case): what
// GetUserByExternalID and GetUserByEmail would, nil for none (an empty
// argument finds none). They may be the same user.
func (s *Store) UsersByExternalIDOrEmail(ctx context.Context, externalID, email string) (byID, byEmail *User, err error) {
	byID, byEmail, _, err = s.usersBy(ctx, externalID, email, false)
	return byID, byEmail, err
}

// UsersOrReservedID is UsersByExternalIDOrEmail that, when neither user
// exists, also reserves the id of the new user the caller will store with
// its chat (ReserveUserID), in the same query: reserved is 0 when a user
// was found, and on SQLite.
func (s *Store) UsersOrReservedID(ctx context.Context, externalID, email string) (byID, byEmail *User, reserved int64, err error) {
	return s.usersBy(ctx, externalID, email, true)
}

func (s *Store) usersBy(ctx context.Context, externalID, email string, reserve bool) (byID, byEmail *User, reserved int64, err error) {
	email = NormalizeEmail(email)
	// Every start with a token asks this: what it did is written out only
	// for an error.
	what := func() string { return fmt.Sprintf("get users with external id %q or e-mail %q", externalID, email) }
	if !textOK(externalID) || !textOK(email) {
		w := what()
		return nil, nil, 0, cmp.Or(checkText(w, "external id", externalID), checkText(w, "email", email))
	}
	if externalID == "" && email == "" {
		if reserve {
			reserved, err = s.ReserveUserID(ctx)
		}
		return nil, nil, reserved, err
	}
	var rows []User
	if s.appendDB != nil {
		// Every chat start with a token asks this: a prepared statement,
		// batched with the other starts' look-ups.
		query := usersByExternalIDOrEmail
		if reserve {
			query = usersOrReservedID
		}
		err := s.lookup(ctx, batchStmt{sql: query, args: []any{externalID, email},
			users: &usersQuery{externalID: externalID, email: email, reserve: reserve},
			rows: func(r rowScanner) error {
				rows, reserved = rows[:0], 0 // a batch that failed runs again alone
				for r.Next() {
					var u User
					var ext, email, hint sql.NullString
					var isNew bool
					dest := []any{&u.ID, &ext, &email, &u.Username, &u.FirstName, &u.LastName, &u.Phone,
						&u.PasswordHash, &u.Disabled, &hint, &u.CreatedAt, &u.UpdatedAt, &isNew}
					if !reserve {
						dest = dest[:len(dest)-1]
					}
					if err := r.Scan(dest...); err != nil {
						return err
					}
					if isNew {
						reserved = u.ID
						continue
					}
					u.ExternalID, u.Email, u.HintEmail = ext.String, email.String, hint.String
					rows = append(rows, u)
				}
				return nil
			}})
		if err != nil {
			return nil, nil, 0, wrap(err, what())
		}
	} else if err := s.db.NewSelect().Model(&rows).
		WhereOr("u.external_id = ? AND ? <> ''", externalID, externalID).
		WhereOr("u.email = ? AND ? <> ''", email, email).
		Limit(2).Scan(ctx); err != nil {
		return nil, nil, 0, wrap(err, what()) // SQLite: no id to reserve
	}
	for i := range rows {
		u := &rows[i]
		utcTimes(u)
		if externalID != "" && u.ExternalID == externalID {
			byID = u
		}
		if email != "" && u.Email == email {
			byEmail = u
		}
	}
	return byID, byEmail, reserved, nil
}

// UsersByID returns the users with these ids in one query, by id; ids
// that name no user are absent.
func (s *Store) UsersByID(ctx context.Context, ids []int64) (map[int64]User, error) {
	out := make(map[int64]User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []User
	if err := s.db.NewSelect().Model(&rows).Where("u.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, wrap(err, fmt.Sprintf("get %d users by id", len(ids)))
	}
	for _, u := range rows {
		utcTimes(&u)
		out[u.ID] = u
	}
	return out, nil
}

// ListUsers returns users by id.
func (s *Store) ListUsers(ctx context.Context, page Page) ([]User, error) {
	return list[User](ctx, s.db, "list users", func(q *bun.SelectQuery) *bun.SelectQuery {
		return page.apply(q.Order("u.id"))
	})
}

// UpdateUser saves every field of u but its creation time.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	u.Email = NormalizeEmail(u.Email)
	return update(ctx, s, fmt.Sprintf("update user %d", u.ID), u, nil)
}
