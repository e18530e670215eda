package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// TokenUse records that a chat profile accepted the identity token with
// that jti; the row outlives the token's expiry only until the sweep.
type TokenUse struct {
	bun.BaseModel `bun:"table:token_uses,alias:tu"`

	ProfileID string    `bun:"profile_id,pk"`
	JTIHash   string    `bun:"jti_hash,pk"` // the identity package's hash of the jti
	ExpiresAt time.Time `bun:"expires_at"`
}

// UseTokenID records the use of a token id on a profile, until expiresAt,
// and reports whether this was its first use: false when a live record of
// it exists. An expired record (its token can no longer be valid) is
// replaced. One statement, insert-if-absent on the primary key: of
// concurrent uses of one id exactly one gets true, on every node.
func (s *Store) UseTokenID(ctx context.Context, profileID, jtiHash string, expiresAt time.Time) (bool, error) {
	what := fmt.Sprintf("use identity token id on chat profile %q", profileID)
	u := &TokenUse{ProfileID: profileID, JTIHash: jtiHash, ExpiresAt: expiresAt.UTC()}
	if err := checkModel(what, u); err != nil {
		return false, err
	}
	res, err := s.execWrite(ctx, s.tokenUseInsert(s.db, u))
	n, err := rowsAffected(res, err, what)
	return n == 1, err
}

// tokenUseInsert is UseTokenID's upsert of u on db: it inserts or revives
// an expired record, and changes no row when the token's use is current.
func (s *Store) tokenUseInsert(db bun.IDB, u *TokenUse) *bun.InsertQuery {
	return db.NewInsert().Model(u).
		On("CONFLICT (profile_id, jti_hash) DO UPDATE").Set("expires_at = EXCLUDED.expires_at").
		Where("tu.expires_at <= ?", s.Now().UTC())
}

// DeleteExpiredTokenUses deletes the records expired at now and returns
// how many it deleted.
func (s *Store) DeleteExpiredTokenUses(ctx context.Context, now time.Time) (int64, error) {
	return deleteRows[TokenUse](ctx, s, "delete expired identity token uses", "expires_at <= ?", now.UTC())
}
