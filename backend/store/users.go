package store

import (
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

	ID           int64     `bun:"id,pk,autoincrement"`
	ExternalID   string    `bun:"external_id,nullzero"` // the host system's id; unique when set
	Email        string    `bun:"email,nullzero"`       // normalised; unique when set
	Username     string    `bun:"username"`
	FirstName    string    `bun:"first_name"`
	LastName     string    `bun:"last_name"`
	Phone        string    `bun:"phone"`
	PasswordHash string    `bun:"password_hash"` // portal login; "" = none
	Disabled     bool      `bun:"disabled"`      // no portal login, sessions end
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

// CreateUser stores a new user; ErrConflict when the external id or the
// e-mail address is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	const what = "create user"
	u.Email = NormalizeEmail(u.Email)
	u.CreatedAt = s.Now()
	u.UpdatedAt = u.CreatedAt
	if s.dialect != DialectPostgres {
		return s.insert(ctx, what, u)
	}
	// PostgreSQL: one prepared statement committed through the batcher,
	// with the chat starts and messages of the moment (a chat start
	// creates its token's new user).
	if err := checkModel(what, u); err != nil {
		return err
	}
	u.CreatedAt = u.CreatedAt.UTC().Truncate(time.Microsecond)
	u.UpdatedAt = u.CreatedAt
	st := batchStmt{sql: `INSERT INTO users (external_id, email, username, first_name, last_name, phone,
	password_hash, disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		args: []any{nullText(u.ExternalID), nullText(u.Email), u.Username, u.FirstName, u.LastName, u.Phone,
			u.PasswordHash, u.Disabled, u.CreatedAt}}
	var err error
	u.ID, err = s.commit(ctx, st)
	return wrap(err, what)
}

// nullText is the value to store for a nullable text: NULL for "".
func nullText(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// GetUser returns the user with that id.
func (s *Store) GetUser(ctx context.Context, id int64) (*User, error) {
	return getOne[User](ctx, s.db, fmt.Sprintf("get user %d", id), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("u.id = ?", id)
	})
}

// GetUserByExternalID returns the user with that external id.
func (s *Store) GetUserByExternalID(ctx context.Context, externalID string) (*User, error) {
	what := fmt.Sprintf("get user with external id %q", externalID)
	if err := checkText(what, "external id", externalID); err != nil {
		return nil, err
	}
	if externalID == "" {
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return getOne[User](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("u.external_id = ?", externalID)
	})
}

// GetUserByEmail returns the user with that e-mail address (any case).
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*User, error) {
	email = NormalizeEmail(email)
	what := fmt.Sprintf("get user with e-mail %q", email)
	if err := checkText(what, "email", email); err != nil {
		return nil, err
	}
	if email == "" {
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return getOne[User](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("u.email = ?", email)
	})
}

// usersByExternalIDOrEmail is UsersByExternalIDOrEmail's query on
// PostgreSQL. $1 and $2 are text: an empty one matches nothing.
const usersByExternalIDOrEmail = `SELECT u.id, u.external_id, u.email, u.username, u.first_name, u.last_name,
	u.phone, u.password_hash, u.disabled, u.created_at, u.updated_at FROM users AS u
WHERE (u.external_id = $1 AND $1::text <> '') OR (u.email = $2 AND $2::text <> '') LIMIT 2`

// UsersByExternalIDOrEmail returns, in one query, the user with that
// external id and the user with that e-mail address (any case): what
// GetUserByExternalID and GetUserByEmail would, nil for none (an empty
// argument finds none). They may be the same user.
func (s *Store) UsersByExternalIDOrEmail(ctx context.Context, externalID, email string) (byID, byEmail *User, err error) {
	email = NormalizeEmail(email)
	what := fmt.Sprintf("get users with external id %q or e-mail %q", externalID, email)
	if err := checkText(what, "external id", externalID); err != nil {
		return nil, nil, err
	}
	if err := checkText(what, "email", email); err != nil {
		return nil, nil, err
	}
	if externalID == "" && email == "" {
		return nil, nil, nil
	}
	var rows []User
	if s.appendDB != nil {
		// Every chat start with a token asks this: a prepared statement,
		// batched with the other starts' look-ups.
		err := s.lookup(ctx, batchStmt{sql: usersByExternalIDOrEmail, args: []any{externalID, email},
			rows: func(r rowScanner) error {
				rows = rows[:0] // a batch that failed runs again alone
				for r.Next() {
					var u User
					var ext, email sql.NullString
					if err := r.Scan(&u.ID, &ext, &email, &u.Username, &u.FirstName, &u.LastName, &u.Phone,
						&u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
						return err
					}
					u.ExternalID, u.Email = ext.String, email.String
					rows = append(rows, u)
				}
				return nil
			}})
		if err != nil {
			return nil, nil, wrap(err, what)
		}
	} else if err := s.db.NewSelect().Model(&rows).
		WhereOr("u.external_id = ? AND ? <> ''", externalID, externalID).
		WhereOr("u.email = ? AND ? <> ''", email, email).
		Limit(2).Scan(ctx); err != nil {
		return nil, nil, wrap(err, what)
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
	return byID, byEmail, nil
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
	u.UpdatedAt = s.Now()
	return s.updatePK(ctx, fmt.Sprintf("update user %d", u.ID), u, "created_at")
}

// Agent roles and presence states.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"

	PresenceOffline = "offline"
	PresenceOnline  = "online"
	PresenceAway    = "away"
)

// Agent is a person who logs in to the agent console (and, as admin, the
// admin pages).
type Agent struct {
	bun.BaseModel `bun:"table:agents,alias:a"`

	ID           int64     `bun:"id,pk,autoincrement"`
	Email        string    `bun:"email"` // normalised; unique
	Name         string    `bun:"name"`  // shown to visitors
	PasswordHash string    `bun:"password_hash"`
	Role         string    `bun:"role"`     // RoleAdmin | RoleAgent
	Presence     string    `bun:"presence"` // Presence* constant
	Disabled     bool      `bun:"disabled"`
	LastSeenAt   time.Time `bun:"last_seen_at,nullzero"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

func checkAgent(what string, a *Agent) error {
	a.Email = NormalizeEmail(a.Email)
	if a.Email == "" {
		return invalid(what, "email is empty")
	}
	if a.Presence == "" {
		a.Presence = PresenceOffline
	}
	if err := oneOf(what, "role", a.Role, RoleAdmin, RoleAgent); err != nil {
		return err
	}
	return oneOf(what, "presence", a.Presence, PresenceOffline, PresenceOnline, PresenceAway)
}

// CreateAgent stores a new agent; the e-mail address is unique. An empty
// presence means offline.
func (s *Store) CreateAgent(ctx context.Context, a *Agent) error {
	const what = "create agent"
	if err := checkAgent(what, a); err != nil {
		return err
	}
	a.CreatedAt = s.Now()
	a.UpdatedAt = a.CreatedAt
	return s.insert(ctx, what, a)
}

// GetAgent returns the agent with that id.
func (s *Store) GetAgent(ctx context.Context, id int64) (*Agent, error) {
	return getOne[Agent](ctx, s.db, fmt.Sprintf("get agent %d", id), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("a.id = ?", id)
	})
}

// GetAgentByEmail returns the agent with that e-mail address (any case).
func (s *Store) GetAgentByEmail(ctx context.Context, email string) (*Agent, error) {
	email = NormalizeEmail(email)
	what := fmt.Sprintf("get agent with e-mail %q", email)
	if err := checkText(what, "email", email); err != nil {
		return nil, err
	}
	return getOne[Agent](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("a.email = ?", email)
	})
}

// ListAgents returns every agent by name.
func (s *Store) ListAgents(ctx context.Context) ([]Agent, error) {
	return list[Agent](ctx, s.db, "list agents", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Order("a.name", "a.id")
	})
}

// CountAgentsWithPresence counts enabled agents with that presence (e.g.
// online agents, for availability).
//
// An agent counts as online only if a node has seen it within PresenceTTL:
// the node holding an agent's console refreshes LastSeenAt
// (TouchAgents), so the agents of a node that died stop counting.
func (s *Store) CountAgentsWithPresence(ctx context.Context, presence string) (int64, error) {
	q := s.db.NewSelect().Model((*Agent)(nil)).Where("a.presence = ?", presence).Where("a.disabled = ?", false)
	if presence == PresenceOnline {
		q = q.Where("a.last_seen_at >= ?", s.Now().Add(-PresenceTTL))
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, wrap(err, "count "+presence+" agents")
	}
	return n, nil
}

// UpdateAgent saves every field of a but its creation time.
func (s *Store) UpdateAgent(ctx context.Context, a *Agent) error {
	what := fmt.Sprintf("update agent %d", a.ID)
	if err := checkAgent(what, a); err != nil {
		return err
	}
	a.UpdatedAt = s.Now()
	return s.updatePK(ctx, what, a, "created_at")
}

// PresenceTTL is how long an agent stays online without a node seeing it.
const PresenceTTL = 90 * time.Second

// TouchAgents records that a node still holds these agents' consoles.
func (s *Store) TouchAgents(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Agent)(nil)).
		Set("last_seen_at = ?", s.Now()).Where("id IN (?)", bun.List(ids)))
	return wrap(err, "touch agents")
}

// SetAgentPresence sets an agent's presence and last-seen time.
func (s *Store) SetAgentPresence(ctx context.Context, id int64, presence string) error {
	what := fmt.Sprintf("set presence of agent %d", id)
	if err := oneOf(what, "presence", presence, PresenceOffline, PresenceOnline, PresenceAway); err != nil {
		return err
	}
	now := s.Now()
	res, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Agent)(nil)).
		Set("presence = ?", presence).Set("last_seen_at = ?", now).Set("updated_at = ?", now).
		Where("id = ?", id))
	return affected(res, err, what)
}

// DeleteAgent deletes an agent; their chats and messages keep no agent.
func (s *Store) DeleteAgent(ctx context.Context, id int64) error {
	return deleteWhere[Agent](ctx, s, fmt.Sprintf("delete agent %d", id), "id = ?", id)
}

// API client permissions known today (SPEC §7, §10); the list is open.
const (
	PermReadModifyUsers = "users:write" // "Read & Modify Users": ChatMatchingData
)

// APIClient is a machine client that authenticates with client id + secret.
type APIClient struct {
	bun.BaseModel `bun:"table:api_clients,alias:ac"`

	ID          int64      `bun:"id,pk,autoincrement"`
	ClientID    string     `bun:"client_id"` // unique
	SecretHash  string     `bun:"secret_hash"`
	Name        string     `bun:"name"`
	Permissions StringList `bun:"permissions"`
	Disabled    bool       `bun:"disabled"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`
}

// HasPermission reports whether the client holds perm.
func (c *APIClient) HasPermission(perm string) bool {
	for _, p := range c.Permissions {
		if p == perm {
			return true
		}
	}
	return false
}

// CreateAPIClient stores a new API client; the client id is unique (an
// empty one is generated).
func (s *Store) CreateAPIClient(ctx context.Context, c *APIClient) error {
	const what = "create API client"
	if c.ClientID == "" {
		c.ClientID = RandomID(16)
	}
	if c.SecretHash == "" {
		return invalid(what, "secret hash is empty")
	}
	c.CreatedAt = s.Now()
	c.UpdatedAt = c.CreatedAt
	return s.insert(ctx, what, c)
}

// GetAPIClient returns the API client with that id.
func (s *Store) GetAPIClient(ctx context.Context, id int64) (*APIClient, error) {
	return getOne[APIClient](ctx, s.db, fmt.Sprintf("get API client %d", id), func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("ac.id = ?", id)
	})
}

// GetAPIClientByClientID returns the API client with that client id.
func (s *Store) GetAPIClientByClientID(ctx context.Context, clientID string) (*APIClient, error) {
	what := fmt.Sprintf("get API client %q", clientID)
	if err := checkText(what, "client id", clientID); err != nil {
		return nil, err
	}
	return getOne[APIClient](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("ac.client_id = ?", clientID)
	})
}

// ListAPIClients returns every API client by name.
func (s *Store) ListAPIClients(ctx context.Context) ([]APIClient, error) {
	return list[APIClient](ctx, s.db, "list API clients", func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Order("ac.name", "ac.id")
	})
}

// UpdateAPIClient saves every field of c but its creation time.
func (s *Store) UpdateAPIClient(ctx context.Context, c *APIClient) error {
	what := fmt.Sprintf("update API client %d", c.ID)
	if c.SecretHash == "" {
		return invalid(what, "secret hash is empty")
	}
	c.UpdatedAt = s.Now()
	return s.updatePK(ctx, what, c, "created_at")
}

// DeleteAPIClient deletes an API client.
func (s *Store) DeleteAPIClient(ctx context.Context, id int64) error {
	return deleteWhere[APIClient](ctx, s, fmt.Sprintf("delete API client %d", id), "id = ?", id)
}
