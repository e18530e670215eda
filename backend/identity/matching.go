package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/tick"
)

// Limits on ChatMatchingData.
const (
	// MaxMatchingContentBytes caps one item's json_content.
	MaxMatchingContentBytes = 16 << 10
	// MaxMatchingItems caps the items of one POST.
	MaxMatchingItems = 100
	// matchingKeyBytes is the random size of a key (43 characters).
	matchingKeyBytes = 32
)

// NewMatchingData is one item to register.
type NewMatchingData struct {
	// Content is the json_content object, as JSON text.
	Content json.RawMessage
	// SingleUse items also expire at their first use.
	SingleUse bool
	// ProfileIDs are the chat profiles the item may be used on (the one
	// it names, else its API client's); empty: every profile.
	ProfileIDs []string
}

// CreatedMatchingData is one registered item: the key is shown here only,
// and stored hashed.
type CreatedMatchingData struct {
	GUID      string
	Key       string
	ExpiresAt time.Time
	SingleUse bool
}

// CreateMatchingData registers items for apiClientID (0 = none) in one
// transaction: each gets a random GUID (UUID form) and key, valid for
// store.MatchingDataTTL. Each content must be a JSON object of at most
// MaxMatchingContentBytes; the caller checks that (it names the item).
func CreateMatchingData(ctx context.Context, st *store.Store, apiClientID int64, items []NewMatchingData) ([]CreatedMatchingData, error) {
	rows := make([]*store.MatchingData, len(items))
	out := make([]CreatedMatchingData, len(items))
	for i, it := range items {
		key := secret.Token(matchingKeyBytes)
		rows[i] = &store.MatchingData{GUID: newGUID(), KeyHash: secret.HashKey(key),
			Content: store.RawJSON(it.Content), SingleUse: it.SingleUse, APIClientID: apiClientID, ProfileIDs: it.ProfileIDs}
		out[i] = CreatedMatchingData{GUID: rows[i].GUID, Key: key, SingleUse: it.SingleUse}
	}
	if err := st.CreateMatchingDataBatch(ctx, rows); err != nil {
		return nil, fmt.Errorf("register %d ChatMatchingData items: %w", len(items), err)
	}
	for i, r := range rows {
		out[i].ExpiresAt = r.ExpiresAt
	}
	return out, nil
}

// newGUID returns a random (version 4) UUID in its usual text form, as
// Halo's ChatMatchingData GUIDs look.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// MatchingRefused is the message of every refused ChatMatchingData claim:
// an unknown GUID, a wrong key, an expired or used item and an item bound
// to other chat profiles are answered alike, so that a guessed GUID tells
// nothing of whether it exists.
const MatchingRefused = "the chat matching data is unknown, expired, used, or not valid for this profile"

// matchingRefused is a refused ChatMatchingData claim: 401 invalid_token.
func matchingRefused() *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeInvalidToken, Field: ClaimMatchingGUID,
		Message: "identity token refused: " + MatchingRefused}
}

// dummyKeyHash stands in for the stored hash when a GUID is unknown, so
// that its refusal costs the same key comparison as a known one's (the
// SHA-256 of "no chat matching data has this key", a HashKey hash).
const dummyKeyHash = "ced5d595ef39a36ace351d19524bce1e33a4828a77cd295dbaec1f4ec15cd892"

// maxGUIDBytes caps a GUID claim: longer ones are never stored.
const maxGUIDBytes = 100

// useMatchingData maps the ChatMatchingData the token's claims name,
// instead of the token's other claims. Every item found gets the same
// checks in the same order — the key in constant time, the profile it is
// bound to, its expiry and single use — and an unknown GUID gets the key
// comparison too (against a dummy hash), so that neither the answer nor
// its time tells the refusals apart. The content is mapped before a
// single-use item is consumed, so neither a wrong key nor a bad value
// uses it up; of concurrent uses of a single-use item exactly one
// succeeds.
func (r *Resolver) useMatchingData(ctx context.Context, p *store.ChatProfile, claims map[string]json.RawMessage, fields []store.CustomField) (*Mapped, string, error) {
	var guid, key string
	if err := json.Unmarshal(claims[ClaimMatchingGUID], &guid); err != nil || guid == "" {
		return nil, "", tokenError("claim %s is not a non-empty string", ClaimMatchingGUID)
	}
	raw, ok := claims[ClaimMatchingKey]
	if !ok {
		return nil, "", tokenError("it has %s but no %s", ClaimMatchingGUID, ClaimMatchingKey)
	}
	if err := json.Unmarshal(raw, &key); err != nil || key == "" {
		return nil, "", tokenError("claim %s is not a non-empty string", ClaimMatchingKey)
	}
	checkKey := r.checkKey
	if checkKey == nil {
		checkKey = secret.CheckKey
	}
	if len(guid) > maxGUIDBytes {
		checkKey(dummyKeyHash, key)
		return nil, "", matchingRefused()
	}
	now := r.now()
	var m *Mapped
	_, err := r.Store.ConsumeMatchingData(ctx, guid, func(d *store.MatchingData) error {
		keyOK := checkKey(d.KeyHash, key)
		if !keyOK || !d.UsableOn(p.ID) || !now.Before(d.ExpiresAt) || (d.SingleUse && !d.UsedAt.IsZero()) {
			return matchingRefused()
		}
		var content map[string]json.RawMessage
		if err := json.Unmarshal(d.Content, &content); err != nil {
			return fmt.Errorf("decode ChatMatchingData %s: %w", guid, err)
		}
		var err error
		m, err = MapClaims(content, p.TokenMappings, fields)
		return err
	})
	var idErr *protocol.APIError
	switch {
	case err == nil:
		return m, guid, nil
	case errors.As(err, &idErr):
		return nil, "", err
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		checkKey(dummyKeyHash, key)
		return nil, "", matchingRefused()
	case errors.Is(err, store.ErrExpired), errors.Is(err, store.ErrUsed):
		// Expired or used between the check and the conditional update.
		return nil, "", matchingRefused()
	}
	return nil, "", fmt.Errorf("use ChatMatchingData %s: %w", guid, err)
}

// SweepExpired deletes expired (and used single-use) ChatMatchingData
// and the records of identity token ids (jti) whose tokens have expired,
// now and then every `every`, until ctx ends. Failures are logged and
// retried at the next tick.
func SweepExpired(ctx context.Context, st *store.Store, every time.Duration, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sweep := func(ctx context.Context) {
		for _, sweep := range []struct {
			what string
			del  func(context.Context, time.Time) (int64, error)
		}{
			{"expired ChatMatchingData", st.DeleteExpiredMatchingData},
			{"expired identity token ids", st.DeleteExpiredTokenUses},
		} {
			n, err := sweep.del(ctx, st.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("sweep "+sweep.what, "err", err)
			case n > 0:
				logger.Info("swept "+sweep.what, "deleted", n)
			}
		}
	}
	sweep(ctx)
	tick.Every(ctx, every, sweep)
}
