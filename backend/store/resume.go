package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ChatResumeSecret is the resume secret of one more browser that holds a
// chat: an identified user's chat follows them to every browser they
// open the widget in with a verified identity token, and each browser
// gets a secret of its own (the chat row keeps the first browser's).
type ChatResumeSecret struct {
	bun.BaseModel `bun:"table:chat_resume_secrets,alias:crs"`

	ChatID     string    `bun:"chat_id,pk"`
	SecretHash string    `bun:"secret_hash,pk"` // secret.HashKey of the browser's resume secret
	CreatedAt  time.Time `bun:"created_at"`
}

// AddResumeSecret lets one more browser resume chat chatID with the
// secret whose hash secretHash is.
func (s *Store) AddResumeSecret(ctx context.Context, chatID, secretHash string) error {
	what := fmt.Sprintf("add a resume secret to chat %q", chatID)
	if secretHash == "" {
		return invalid(what, "secret hash is empty")
	}
	return s.insert(ctx, what, &ChatResumeSecret{ChatID: chatID, SecretHash: secretHash, CreatedAt: s.Now().UTC()})
}

// HasResumeSecret reports whether secretHash is the hash of a resume
// secret AddResumeSecret gave chat chatID.
func (s *Store) HasResumeSecret(ctx context.Context, chatID, secretHash string) (bool, error) {
	what := fmt.Sprintf("check a resume secret of chat %q", chatID)
	if err := checkModel(what, &ChatResumeSecret{ChatID: chatID, SecretHash: secretHash}); err != nil {
		return false, err
	}
	ok, err := s.db.NewSelect().Model((*ChatResumeSecret)(nil)).
		Where("crs.chat_id = ?", chatID).Where("crs.secret_hash = ?", secretHash).Exists(ctx)
	return ok, wrap(err, what)
}

// maxOpenUserChats bounds OpenUserChats: a user has one open chat per
// profile, a few when several browsers started at once.
const maxOpenUserChats = 20

// OpenUserChats returns the open (not ended) authenticated chats of user
// userID on profile profileID, newest first: the portal's chats when
// portal, the others (the widget's on external sites, those a host
// backend started) when not. Chats of no user, or not authenticated (an
// anonymous chat, a trusted e-mail hint's), are nobody's to follow.
func (s *Store) OpenUserChats(ctx context.Context, profileID string, userID int64, portal bool) ([]Chat, error) {
	what := fmt.Sprintf("list the open chats of user %d on chat profile %q", userID, profileID)
	if err := checkText(what, "profile id", profileID); err != nil {
		return nil, err
	}
	if userID == 0 {
		return nil, invalid(what, "user id is 0")
	}
	if s.appendDB != nil {
		// Every chat start with a token asks this, and a new user has
		// none: a prepared look-up of the ids (no plan a start), the
		// rows read only when there are any.
		ids, err := s.openUserChatIDs(ctx, profileID, userID, portal)
		if err != nil || len(ids) == 0 {
			return nil, wrap(err, what)
		}
		return list[Chat](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("c.id IN (?)", bun.List(ids)).OrderExpr("c.started_at DESC, c.id DESC")
		})
	}
	op := "<>"
	if portal {
		op = "="
	}
	return list[Chat](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("c.user_id = ?", userID).Where("c.profile_id = ?", profileID).
			Where("c.authenticated = ?", true).Where("c.status <> ?", ChatEnded).
			Where("c.context "+op+" ?", ContextPortal).
			OrderExpr("c.started_at DESC, c.id DESC").Limit(maxOpenUserChats)
	})
}

// openUserChatIDs is OpenUserChats' query on PostgreSQL, ids only: $3 is
// whether the portal's chats are wanted (context = 'portal'), $4 the
// limit.
const openUserChatIDs = `SELECT c.id FROM chats AS c
WHERE c.user_id = $1 AND c.profile_id = $2 AND c.authenticated AND c.status <> 'ended'
	AND (c.context = 'portal') = $3::boolean
ORDER BY c.started_at DESC, c.id DESC LIMIT $4`

// openUserChatIDs returns the ids of OpenUserChats through the read
// batcher's prepared statements.
func (s *Store) openUserChatIDs(ctx context.Context, profileID string, userID int64, portal bool) ([]string, error) {
	var ids []string
	err := s.lookup(ctx, batchStmt{sql: openUserChatIDs, args: []any{userID, profileID, portal, maxOpenUserChats},
		rows: func(r rowScanner) error {
			ids = ids[:0] // a batch that failed runs again alone
			for r.Next() {
				var id string
				if err := r.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		}})
	return ids, err
}
