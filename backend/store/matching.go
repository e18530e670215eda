package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// MatchingDataTTL is how long ChatMatchingData stays valid
// (docs/CONTRACT.md#chat-matching-data).
const MatchingDataTTL = 24 * time.Hour

// MatchingData is one ChatMatchingData item: user data a host backend
// registered for a later chat start, named by GUID and unlocked by a key
// that the store keeps only hashed.
type MatchingData struct {
	bun.BaseModel `bun:"table:chat_matching_data,alias:md"`

	GUID        string    `bun:"guid,pk"`    // set by CreateMatchingDataBatch when empty
	KeyHash     string    `bun:"key_hash"`   // the identity package's hash of the key
	Content     RawJSON   `bun:"content"`    // the json_content object
	SingleUse   bool      `bun:"single_use"` // expires at its first use
	APIClientID int64     `bun:"api_client_id,nullzero"`
	UsedAt      time.Time `bun:"used_at,nullzero"`
	ExpiresAt   time.Time `bun:"expires_at"` // CreatedAt + MatchingDataTTL unless set
	CreatedAt   time.Time `bun:"created_at"`

	// ProfileIDs are the chat profiles the item may be used on, fixed
	// when it is registered; empty: every profile.
	ProfileIDs StringList `bun:"profile_ids"`
}

// CreateMatchingDataBatch stores ChatMatchingData items in one
// transaction (all or none). In each, an empty GUID is generated, empty
// content is "{}", CreatedAt is now and a zero ExpiresAt becomes
// CreatedAt + MatchingDataTTL; ErrConflict when a GUID is taken.
func (s *Store) CreateMatchingDataBatch(ctx context.Context, items []*MatchingData) error {
	const what = "create chat matching data"
	now := s.Now()
	for _, d := range items {
		if d.GUID == "" {
			d.GUID = RandomID(16)
		}
		if d.KeyHash == "" {
			return invalid(what, "key hash is empty")
		}
		if len(d.Content) == 0 {
			d.Content = RawJSON("{}")
		}
		d.CreatedAt = now
		if d.ExpiresAt.IsZero() {
			d.ExpiresAt = now.Add(MatchingDataTTL)
		}
		d.ExpiresAt = d.ExpiresAt.UTC()
		d.UsedAt = time.Time{}
		if err := checkModel(what, d); err != nil {
			return err
		}
	}
	if len(items) == 0 {
		return nil
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&items).Exec(ctx)
		return wrap(err, what)
	})
}

// GetMatchingData returns an item whatever its state (used, expired).
func (s *Store) GetMatchingData(ctx context.Context, guid string) (*MatchingData, error) {
	return getBy[MatchingData](ctx, s.db, fmt.Sprintf("get chat matching data %q", guid), "guid", guid)
}

// UsableOn reports whether the item may be used on the chat profile.
func (d *MatchingData) UsableOn(profileID string) bool {
	return len(d.ProfileIDs) == 0 || slices.Contains(d.ProfileIDs, profileID)
}

// ConsumeMatchingData returns the item for a chat start. It fails with
// ErrNotFound (unknown guid), ErrExpired, or ErrUsed (a single-use item
// already used). check, when not nil, runs first on the item found,
// whatever its state — verify the key there, so a wrong key does not use
// up a single-use item, and so that every item found costs the same key
// check — and its error is returned as is. A single-use item is then
// marked used with a conditional UPDATE: of concurrent consumers exactly
// one succeeds, the others get ErrUsed.
func (s *Store) ConsumeMatchingData(ctx context.Context, guid string, check func(*MatchingData) error) (*MatchingData, error) {
	what := fmt.Sprintf("use chat matching data %q", guid)
	d, err := s.GetMatchingData(ctx, guid)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(d); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	if !now.Before(d.ExpiresAt) {
		return nil, fmt.Errorf("%s: %w", what, ErrExpired)
	}
	if d.SingleUse && !d.UsedAt.IsZero() {
		return nil, fmt.Errorf("%s: %w", what, ErrUsed)
	}
	if !d.SingleUse {
		return d, nil
	}
	res, err := s.execWrite(ctx, s.db.NewUpdate().Model((*MatchingData)(nil)).
		Set("used_at = ?", now).
		Where("guid = ?", guid).Where("used_at IS NULL").Where("expires_at > ?", now))
	n, err := rowsAffected(res, err, what)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		// Another consumer won, or the item expired or was swept meanwhile.
		return nil, fmt.Errorf("%s: %w", what, ErrUsed)
	}
	d.UsedAt = now
	return d, nil
}

// DeleteExpiredMatchingData deletes the items expired at now and the used
// single-use ones, and returns how many it deleted.
func (s *Store) DeleteExpiredMatchingData(ctx context.Context, now time.Time) (int64, error) {
	const what = "delete expired chat matching data"
	res, err := s.execWrite(ctx, s.db.NewDelete().Model((*MatchingData)(nil)).
		WhereOr("expires_at <= ?", now.UTC()).
		WhereOr("single_use = ? AND used_at IS NOT NULL", true))
	return rowsAffected(res, err, what)
}
