package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// ChatRating is a visitor's rating of a chat: one a chat, replaced in
// place while the window since its first rating (CreatedAt) is open.
type ChatRating struct {
	bun.BaseModel `bun:"table:chat_ratings,alias:cr"`

	ChatID    string    `bun:"chat_id,pk"`
	Score     int64     `bun:"score"`
	Comment   string    `bun:"comment"`
	CreatedAt time.Time `bun:"created_at"` // the first rating's time
	UpdatedAt time.Time `bun:"updated_at"` // the latest rating's time
}

// Replaced reports whether the rating replaced an earlier one.
func (r *ChatRating) Replaced() bool { return !r.UpdatedAt.Equal(r.CreatedAt) }

// RateChat stores r as the rating of its chat, or replaces the chat's
// rating when that was first given after replaceAfter; it returns the
// stored rating. ErrConflict when the chat's rating was first given at or
// before replaceAfter (the window is over: the rating stays), or when the
// chat does not exist. One insert-or-update on the chat's key with that
// condition (concurrent ratings of a chat leave one of them, whole), and
// the chat.rated webhook event, in one transaction: the rating row, which
// the statement locks, keeps a chat's rating events in commit order.
func (s *Store) RateChat(ctx context.Context, r ChatRating, replaceAfter time.Time) (*ChatRating, error) {
	what := fmt.Sprintf("rate chat %q", r.ChatID)
	if err := checkModel(what, &r); err != nil {
		return nil, err
	}
	r.CreatedAt = s.Now()
	r.UpdatedAt = r.CreatedAt
	var out *ChatRating
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewInsert().Model(&r).
			On("CONFLICT (chat_id) DO UPDATE").
			Set("score = EXCLUDED.score").Set("comment = EXCLUDED.comment").Set("updated_at = EXCLUDED.updated_at").
			Where("cr.created_at > ?", replaceAfter.UTC()).Exec(ctx)
		n, err := rowsAffected(res, err, what)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s: %w: rated first at or before %s", what, ErrConflict, replaceAfter.UTC().Format(time.RFC3339))
		}
		if out, err = getBy[ChatRating](ctx, tx, what, "chat_id", r.ChatID); err != nil {
			return err
		}
		c, err := getBy[Chat](ctx, tx, what, "id", r.ChatID)
		if err != nil {
			return err
		}
		e, err := newEvent(randomEventID(), protocol.WebhookChatRated, c.ID, out.UpdatedAt, protocol.WebhookRatingData{
			ChatID: c.ID, ProfileID: c.ProfileID, UserID: optID(c.UserID), AgentID: optID(c.AgentID),
			Score: int(out.Score), Comment: out.Comment, Replaced: out.Replaced()})
		if err != nil {
			return err
		}
		return s.recordEvents(ctx, tx, what, out.UpdatedAt, []outboxEvent{e})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ChatRating returns the rating of chat id; ErrNotFound when it has none.
func (s *Store) ChatRating(ctx context.Context, chatID string) (*ChatRating, error) {
	return getBy[ChatRating](ctx, s.db, fmt.Sprintf("get the rating of chat %q", chatID), "chat_id", chatID)
}
