package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

func authMigrations() []schemaMigration {
	return []schemaMigration{{name: "20261125000001_auth", sql: migrationAuth}}
}

// migrationAuth adds agent sessions and API client access tokens. FROZEN.
const migrationAuth = `
CREATE TABLE agent_sessions (
	token_hash TEXT PRIMARY KEY,
	agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
	created_at {TS} NOT NULL,
	expires_at {TS} NOT NULL
)
;
CREATE INDEX agent_sessions_expires ON agent_sessions (expires_at)
;
CREATE TABLE api_tokens (
	token_hash TEXT PRIMARY KEY,
	api_client_id BIGINT NOT NULL REFERENCES api_clients(id) ON DELETE CASCADE,
	created_at {TS} NOT NULL,
	expires_at {TS} NOT NULL
)
;
CREATE INDEX api_tokens_expires ON api_tokens (expires_at)
`

// AgentSession is a logged-in agent's session; only the token's hash is kept.
type AgentSession struct {
	bun.BaseModel `bun:"table:agent_sessions,alias:ases"`

	TokenHash string    `bun:"token_hash,pk"`
	AgentID   int64     `bun:"agent_id"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// APIToken is an access token issued to an API client; only its hash is kept.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:atok"`

	TokenHash   string    `bun:"token_hash,pk"`
	APIClientID int64     `bun:"api_client_id"`
	CreatedAt   time.Time `bun:"created_at"`
	ExpiresAt   time.Time `bun:"expires_at"`
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
