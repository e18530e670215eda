package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

func portalMigrations() []schemaMigration {
	return []schemaMigration{{name: "20261125210001_portal", sql: migrationPortal}}
}

// migrationPortal adds self-service portal sessions and lets an admin
// disable a portal user (users stay: their chats and tickets keep them).
// FROZEN.
const migrationPortal = `
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE
;
CREATE TABLE portal_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at {TS} NOT NULL,
	expires_at {TS} NOT NULL
)
;
CREATE INDEX portal_sessions_user ON portal_sessions (user_id)
;
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at)
`

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

// PortalTicket is a ticket as its user sees it in the portal.
type PortalTicket struct {
	ID        int64     `bun:"id"`
	Summary   string    `bun:"summary"`
	Status    string    `bun:"status"`
	TypeName  string    `bun:"type_name"` // "" when the ticket has no type
	ChatID    string    `bun:"chat_id"`
	CreatedAt time.Time `bun:"created_at"`
}

// ListPortalTickets returns the tickets of a user — logged for them, or
// from a chat whose user is them — newest first.
func (s *Store) ListPortalTickets(ctx context.Context, userID int64, page Page) ([]PortalTicket, error) {
	what := fmt.Sprintf("list the portal tickets of user %d", userID)
	var out []PortalTicket
	q := s.db.NewSelect().TableExpr("tickets AS t").
		ColumnExpr("t.id, t.summary, t.status, t.created_at").
		ColumnExpr("COALESCE(t.chat_id, '') AS chat_id").
		ColumnExpr("COALESCE(tt.name, '') AS type_name").
		Join("LEFT JOIN ticket_types AS tt ON tt.id = t.ticket_type_id").
		Join("LEFT JOIN chats AS c ON c.id = t.chat_id").
		Where("t.user_id = ? OR c.user_id = ?", userID, userID)
	if err := page.apply(q.OrderExpr("t.id DESC")).Scan(ctx, &out); err != nil {
		return nil, wrap(err, what)
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}
