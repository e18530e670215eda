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
			Content: store.RawJSON(it.Content), SingleUse: it.SingleUse, APIClientID: apiClientID}
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

// matchingError is a refused ChatMatchingData claim: 401 invalid_token.
func matchingError(format string, args ...any) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeInvalidToken, Field: ClaimMatchingGUID,
		Message: "ChatMatchingData refused: " + fmt.Sprintf(format, args...)}
}

// useMatchingData maps the ChatMatchingData the token's claims name,
// instead of the token's other claims. The key is checked in constant
// time, and the content mapped, before a single-use item is consumed, so
// neither a wrong key nor a bad value uses it up; of concurrent uses of a
// single-use item exactly one succeeds.
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
	if len(guid) > 100 {
		return nil, "", matchingError("unknown GUID")
	}
	var m *Mapped
	_, err := r.Store.ConsumeMatchingData(ctx, guid, func(d *store.MatchingData) error {
		if !secret.CheckKey(d.KeyHash, key) {
			return matchingError("the key does not match GUID %s", guid)
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
		return nil, "", matchingError("unknown GUID %s (never registered, or deleted after it expired)", guid)
	case errors.Is(err, store.ErrExpired):
		return nil, "", matchingError("GUID %s has expired (ChatMatchingData is valid for %s)", guid, store.MatchingDataTTL)
	case errors.Is(err, store.ErrUsed):
		return nil, "", matchingError("GUID %s was single-use and has been used", guid)
	}
	return nil, "", fmt.Errorf("use ChatMatchingData %s: %w", guid, err)
}

// SweepMatchingData deletes expired (and used single-use) ChatMatchingData
// now and then every `every`, until ctx ends. Failures are logged and
// retried at the next tick.
func SweepMatchingData(ctx context.Context, st *store.Store, every time.Duration, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := st.DeleteExpiredMatchingData(ctx, st.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("sweep expired ChatMatchingData", "err", err)
		case n > 0:
			logger.Info("swept expired ChatMatchingData", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
