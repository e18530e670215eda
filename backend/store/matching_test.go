package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMatchingData(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ac := &APIClient{SecretHash: "h", Name: "n"}
		must(t, s.CreateAPIClient(ctx, ac))

		multi := &MatchingData{KeyHash: "k1", Content: RawJSON(`{"firstname":"John"}`), APIClientID: ac.ID}
		must(t, createMatchingData(ctx, s, multi))
		if d := multi.ExpiresAt.Sub(multi.CreatedAt); d != MatchingDataTTL {
			t.Fatalf("TTL = %v", d)
		}
		for range 2 {
			d, err := s.ConsumeMatchingData(ctx, multi.GUID, nil)
			must(t, err)
			if string(d.Content) != `{"firstname":"John"}` || d.SingleUse || !d.UsedAt.IsZero() || !d.ExpiresAt.Equal(multi.ExpiresAt) {
				t.Fatalf("consumed %+v", d)
			}
		}

		// A failing check (wrong key) does not use the item up.
		single := &MatchingData{KeyHash: "k2", Content: RawJSON(`{}`), SingleUse: true}
		must(t, createMatchingData(ctx, s, single))
		errKey := errors.New("wrong key")
		_, err := s.ConsumeMatchingData(ctx, single.GUID, func(d *MatchingData) error {
			if d.KeyHash != "nope" {
				return errKey
			}
			return nil
		})
		wantErr(t, err, errKey)

		// Of concurrent consumers, one uses it up.
		oneWins(t, 8, ErrUsed, func(int) error {
			_, err := s.ConsumeMatchingData(ctx, single.GUID, nil)
			return err
		})
		_, err = s.ConsumeMatchingData(ctx, single.GUID, nil)
		wantErr(t, err, ErrUsed)
		if d, _ := s.GetMatchingData(ctx, single.GUID); d.UsedAt.IsZero() {
			t.Fatal("used_at not set")
		}

		expired := &MatchingData{KeyHash: "k3", ExpiresAt: s.Now().Add(-time.Second)}
		must(t, createMatchingData(ctx, s, expired))
		_, err = s.ConsumeMatchingData(ctx, expired.GUID, nil)
		wantErr(t, err, ErrExpired)
		_, err = s.ConsumeMatchingData(ctx, "nope", nil)
		wantErr(t, err, ErrNotFound)
		wantErr(t, createMatchingData(ctx, s, &MatchingData{GUID: single.GUID, KeyHash: "x"}), ErrConflict)

		// The sweep deletes the expired and the used single-use items.
		deleted, err := s.DeleteExpiredMatchingData(ctx, s.Now())
		must(t, err)
		if deleted != 2 {
			t.Fatalf("swept %d items, want 2", deleted)
		}
		if _, err := s.GetMatchingData(ctx, multi.GUID); err != nil {
			t.Fatalf("live item swept: %v", err)
		}
		// A day later everything has expired.
		deleted, err = s.DeleteExpiredMatchingData(ctx, s.Now().Add(MatchingDataTTL))
		must(t, err)
		if deleted != 1 {
			t.Fatalf("swept %d items a day later, want 1", deleted)
		}
	})
}

// createMatchingData stores one item.
func createMatchingData(ctx context.Context, s *Store, d *MatchingData) error {
	return s.CreateMatchingDataBatch(ctx, []*MatchingData{d})
}
