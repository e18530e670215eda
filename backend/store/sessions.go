package store

import (
	"context"
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

// CreateAgentSession stores a session.
func (s *Store) CreateAgentSession(ctx context.Context, sess *AgentSession) error {
	sess.CreatedAt = s.Now()
	sess.ExpiresAt = sess.ExpiresAt.UTC()
	if _, err := s.db.NewInsert().Model(sess).Exec(ctx); err != nil {
		return wrap(err, fmt.Sprintf("create a session for agent %d", sess.AgentID))
	}
	return nil
}

// AgentBySession returns the enabled agent holding an unexpired session
// with this token hash (ErrNotFound otherwise).
func (s *Store) AgentBySession(ctx context.Context, tokenHash string, now time.Time) (*Agent, error) {
	var a Agent
	err := s.db.NewSelect().Model(&a).
		Join("JOIN agent_sessions AS ases ON ases.agent_id = a.id").
		Where("ases.token_hash = ?", tokenHash).
		Where("ases.expires_at > ?", now.UTC()).
		Where("a.disabled = ?", false).
		Limit(1).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "find the session's agent")
	}
	return &a, nil
}

// DeleteAgentSession ends a session (no error if it is gone already).
func (s *Store) DeleteAgentSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.NewDelete().Model((*AgentSession)(nil)).Where("token_hash = ?", tokenHash).Exec(ctx)
	return wrap(err, "delete a session")
}

// APIToken is an access token issued to an API client; only its hash is kept.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:atok"`

	TokenHash   string    `bun:"token_hash,pk"`
	APIClientID int64     `bun:"api_client_id"`
	CreatedAt   time.Time `bun:"created_at"`
	ExpiresAt   time.Time `bun:"expires_at"`
}

// CreateAPIToken stores an access token.
func (s *Store) CreateAPIToken(ctx context.Context, tok *APIToken) error {
	tok.CreatedAt = s.Now()
	tok.ExpiresAt = tok.ExpiresAt.UTC()
	if _, err := s.db.NewInsert().Model(tok).Exec(ctx); err != nil {
		return wrap(err, fmt.Sprintf("create a token for API client %d", tok.APIClientID))
	}
	return nil
}

// APIClientByToken returns the enabled client holding an unexpired token
// with this hash (ErrNotFound otherwise).
func (s *Store) APIClientByToken(ctx context.Context, tokenHash string, now time.Time) (*APIClient, error) {
	var c APIClient
	err := s.db.NewSelect().Model(&c).
		Join("JOIN api_tokens AS atok ON atok.api_client_id = ac.id").
		Where("atok.token_hash = ?", tokenHash).
		Where("atok.expires_at > ?", now.UTC()).
		Where("ac.disabled = ?", false).
		Limit(1).Scan(ctx)
	if err != nil {
		return nil, wrap(err, "find the token's API client")
	}
	return &c, nil
}

// DeleteExpiredAuth deletes expired sessions and tokens.
func (s *Store) DeleteExpiredAuth(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, m := range []any{(*AgentSession)(nil), (*APIToken)(nil)} {
		res, err := s.db.NewDelete().Model(m).Where("expires_at <= ?", now.UTC()).Exec(ctx)
		if err != nil {
			return total, wrap(err, "delete expired sessions and tokens")
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
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
	what := fmt.Sprintf("create a portal session for user %d", sess.UserID)
	if sess.TokenHash == "" {
		return invalid(what, "token hash is empty")
	}
	sess.CreatedAt = s.Now()
	sess.ExpiresAt = sess.ExpiresAt.UTC()
	_, err := s.execWrite(ctx, s.db.NewInsert().Model(sess))
	return wrap(err, what)
}

// UserBySession returns the enabled user holding an unexpired portal
// session with this token hash (ErrNotFound otherwise).
func (s *Store) UserBySession(ctx context.Context, tokenHash string, now time.Time) (*User, error) {
	const what = "find the portal session's user"
	if err := checkText(what, "token hash", tokenHash); err != nil {
		return nil, err
	}
	return getOne[User](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Join("JOIN portal_sessions AS psess ON psess.user_id = u.id").
			Where("psess.token_hash = ?", tokenHash).
			Where("psess.expires_at > ?", now.UTC()).
			Where("u.disabled = ?", false)
	})
}

// DeletePortalSession ends a session (no error if it is gone already).
func (s *Store) DeletePortalSession(ctx context.Context, tokenHash string) error {
	_, err := s.execWrite(ctx, s.db.NewDelete().Model((*PortalSession)(nil)).Where("token_hash = ?", tokenHash))
	return wrap(err, "delete a portal session")
}

// DeletePortalSessionsOf ends every session of a user (disabled, or a
// new password).
func (s *Store) DeletePortalSessionsOf(ctx context.Context, userID int64) error {
	_, err := s.execWrite(ctx, s.db.NewDelete().Model((*PortalSession)(nil)).Where("user_id = ?", userID))
	return wrap(err, fmt.Sprintf("delete the portal sessions of user %d", userID))
}

// DeleteExpiredPortalSessions deletes expired portal sessions.
func (s *Store) DeleteExpiredPortalSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.execWrite(ctx, s.db.NewDelete().Model((*PortalSession)(nil)).Where("expires_at <= ?", now.UTC()))
	if err != nil {
		return 0, wrap(err, "delete expired portal sessions")
	}
	n, _ := res.RowsAffected()
	return n, nil
}
