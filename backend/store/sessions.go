package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// AgentSession is a logged-in agent's session; only the token's hash is kept.
type AgentSession struct {
	bun.BaseModel `bun:"table:agent_sessions,alias:ases"`

	TokenHash string    `bun:"token_hash,pk"`
	AgentID   int64     `bun:"agent_id"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// CreateAgentSession stores a session; ErrConflict when the agent does
// not exist.
func (s *Store) CreateAgentSession(ctx context.Context, sess *AgentSession) error {
	return s.createCredential(ctx, fmt.Sprintf("create a session for agent %d", sess.AgentID),
		sess, sess.TokenHash, &sess.CreatedAt, &sess.ExpiresAt)
}

// agentBySession is AgentBySession's query on PostgreSQL.
const agentBySession = `SELECT a.id, a.email, a.name, a.password_hash, a.role, a.presence, a.disabled, a.max_chats,
	a.last_seen_at, a.created_at, a.updated_at FROM agents AS a JOIN agent_sessions AS cred ON cred.agent_id = a.id
WHERE cred.token_hash = $1 AND cred.expires_at > $2 AND NOT a.disabled`

// AgentBySession returns the enabled agent holding an unexpired session
// with this token hash (ErrNotFound otherwise). Every frame of an agent's
// socket that reads or changes a chat asks it (but a message's, whose
// statement checks the session itself: AppendCond.Session), and every
// request of the console: on PostgreSQL a prepared statement, batched
// with the other look-ups of the moment.
func (s *Store) AgentBySession(ctx context.Context, tokenHash string, now time.Time) (*Agent, error) {
	const what = "find the session's agent"
	if s.appendDB == nil {
		return credentialOwner[Agent](ctx, s, what, "agent_sessions", "agent_id", tokenHash, now)
	}
	if err := checkText(what, "token hash", tokenHash); err != nil {
		return nil, err
	}
	var found *Agent
	err := s.lookup(ctx, batchStmt{sql: agentBySession, args: []any{tokenHash, now.UTC()}, rows: func(r rowScanner) error {
		found = nil // a batch that failed runs again alone
		if !r.Next() {
			return nil
		}
		var a Agent
		var seen sql.NullTime
		if err := r.Scan(&a.ID, &a.Email, &a.Name, &a.PasswordHash, &a.Role, &a.Presence, &a.Disabled, &a.MaxChats,
			&seen, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return err
		}
		a.LastSeenAt = seen.Time
		utcTimes(&a)
		found = &a
		return nil
	}})
	if err != nil {
		return nil, wrap(err, what)
	}
	if found == nil {
		return nil, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return found, nil
}

// DeleteAgentSession ends a session (no error if it is gone already).
func (s *Store) DeleteAgentSession(ctx context.Context, tokenHash string) error {
	_, err := deleteRows[AgentSession](ctx, s, "delete a session", "token_hash = ?", tokenHash)
	return err
}

// DeleteAgentSessionsOf ends every session of an agent but the one whose
// token hash is keep ("" keeps none): the agent was disabled, or has a new
// password.
func (s *Store) DeleteAgentSessionsOf(ctx context.Context, agentID int64, keep string) error {
	q := s.db.NewDelete().Model((*AgentSession)(nil)).Where("agent_id = ?", agentID)
	if keep != "" {
		q = q.Where("token_hash <> ?", keep)
	}
	_, err := s.execWrite(ctx, q)
	return wrap(err, fmt.Sprintf("delete the sessions of agent %d", agentID))
}

// APIToken is an access token issued to an API client; only its hash is kept.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:atok"`

	TokenHash   string    `bun:"token_hash,pk"`
	APIClientID int64     `bun:"api_client_id"`
	CreatedAt   time.Time `bun:"created_at"`
	ExpiresAt   time.Time `bun:"expires_at"`
}

// CreateAPIToken stores an access token; ErrConflict when the client does
// not exist.
func (s *Store) CreateAPIToken(ctx context.Context, tok *APIToken) error {
	return s.createCredential(ctx, fmt.Sprintf("create a token for API client %d", tok.APIClientID),
		tok, tok.TokenHash, &tok.CreatedAt, &tok.ExpiresAt)
}

// APIClientByToken returns the enabled client holding an unexpired token
// with this hash (ErrNotFound otherwise).
func (s *Store) APIClientByToken(ctx context.Context, tokenHash string, now time.Time) (*APIClient, error) {
	return credentialOwner[APIClient](ctx, s, "find the token's API client", "api_tokens", "api_client_id", tokenHash, now)
}

// DeleteExpiredAuth deletes expired sessions and tokens.
func (s *Store) DeleteExpiredAuth(ctx context.Context, now time.Time) (int64, error) {
	const what = "delete expired sessions and tokens"
	sessions, err := deleteRows[AgentSession](ctx, s, what, "expires_at <= ?", now.UTC())
	if err != nil {
		return 0, err
	}
	tokens, err := deleteRows[APIToken](ctx, s, what, "expires_at <= ?", now.UTC())
	return sessions + tokens, err
}

// PortalSession is a logged-in portal user's session; only the token's
// hash is kept.
type PortalSession struct {
	bun.BaseModel `bun:"table:portal_sessions,alias:psess"`

	TokenHash string    `bun:"token_hash,pk"`
	UserID    int64     `bun:"user_id"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// CreatePortalSession stores a session; ErrConflict when the user does
// not exist.
func (s *Store) CreatePortalSession(ctx context.Context, sess *PortalSession) error {
	return s.createCredential(ctx, fmt.Sprintf("create a portal session for user %d", sess.UserID),
		sess, sess.TokenHash, &sess.CreatedAt, &sess.ExpiresAt)
}

// UserBySession returns the enabled user holding an unexpired portal
// session with this token hash (ErrNotFound otherwise).
func (s *Store) UserBySession(ctx context.Context, tokenHash string, now time.Time) (*User, error) {
	return credentialOwner[User](ctx, s, "find the portal session's user", "portal_sessions", "user_id", tokenHash, now)
}

// DeletePortalSession ends a session (no error if it is gone already).
func (s *Store) DeletePortalSession(ctx context.Context, tokenHash string) error {
	_, err := deleteRows[PortalSession](ctx, s, "delete a portal session", "token_hash = ?", tokenHash)
	return err
}

// DeletePortalSessionsOf ends every session of a user (disabled, or a
// new password).
func (s *Store) DeletePortalSessionsOf(ctx context.Context, userID int64) error {
	_, err := deleteRows[PortalSession](ctx, s, fmt.Sprintf("delete the portal sessions of user %d", userID), "user_id = ?", userID)
	return err
}

// DeleteExpiredPortalSessions deletes expired portal sessions.
func (s *Store) DeleteExpiredPortalSessions(ctx context.Context, now time.Time) (int64, error) {
	return deleteRows[PortalSession](ctx, s, "delete expired portal sessions", "expires_at <= ?", now.UTC())
}

// The three kinds of bearer credential (agent sessions, API tokens, portal
// sessions) are tables of their own, each with its owner's foreign key,
// but they are kept, found and swept alike: only the token's hash is
// stored, and a credential counts until it expires or its owner is
// disabled.

// createCredential stores row, a credential with that token hash, its
// creation time now and its expiry in UTC. An empty hash is refused: it
// would be one credential shared by every caller that failed to make one.
func (s *Store) createCredential(ctx context.Context, what string, row any, tokenHash string, createdAt, expiresAt *time.Time) error {
	if tokenHash == "" {
		return invalid(what, "token hash is empty")
	}
	*createdAt, *expiresAt = s.Now(), expiresAt.UTC()
	return s.insert(ctx, what, row)
}

// credentialOwner returns the enabled owner (an Agent, APIClient or User:
// T, whose table has a disabled column) of the unexpired credential of
// table with this token hash; column names the owner's id in table.
func credentialOwner[T any](ctx context.Context, s *Store, what, table, column, tokenHash string, now time.Time) (*T, error) {
	if err := checkText(what, "token hash", tokenHash); err != nil {
		return nil, err
	}
	return getOne[T](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Join("JOIN ? AS cred ON cred.? = ?TableAlias.id", bun.Ident(table), bun.Ident(column)).
			Where("cred.token_hash = ?", tokenHash).
			Where("cred.expires_at > ?", now.UTC()).
			Where("?TableAlias.disabled = ?", false)
	})
}
