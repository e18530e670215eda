package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/testenv"
)

// openAt opens a store whose clock is now (testenv.ForEachStoreAt).
func openAt(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	return OpenWithOptions(ctx, dsn, Options{Now: now})
}

// A chat's rating is replaced while its window is open and kept after,
// each stored one a chat.rated webhook event; concurrent ratings leave
// one whole.
func TestRateChat(t *testing.T) {
	testenv.ForEachStoreAt(t, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), openAt, func(t *testing.T, s *Store, clk *testenv.Clock) {
		ctx := context.Background()
		hook := newWebhook(t, s, false, protocol.WebhookChatRated)
		u := &User{Email: "rater@example.com"}
		must(t, s.CreateUser(ctx, u))
		p := &ChatProfile{Name: "p", Access: AccessPortalAndExternal}
		must(t, s.CreateProfile(ctx, p))
		c := &Chat{ProfileID: p.ID, Context: ContextEmbedded, UserID: u.ID}
		must(t, s.CreateChat(ctx, c, nil))
		window := 10 * time.Minute
		rate := func(score int64, comment string) (*ChatRating, error) {
			return s.RateChat(ctx, ChatRating{ChatID: c.ID, Score: score, Comment: comment}, s.Now().Add(-window))
		}
		_, err := s.ChatRating(ctx, c.ID)
		wantErr(t, err, ErrNotFound)

		first, err := rate(4, "quick")
		must(t, err)
		t0 := clk.Now()
		if first.Score != 4 || first.Comment != "quick" || !first.CreatedAt.Equal(t0) || first.Replaced() {
			t.Errorf("first rating %+v", first)
		}
		clk.Add(5 * time.Minute)
		second, err := rate(2, "on second thought")
		must(t, err)
		if second.Score != 2 || second.Comment != "on second thought" || !second.CreatedAt.Equal(t0) ||
			!second.UpdatedAt.Equal(clk.Now()) || !second.Replaced() {
			t.Errorf("replacing rating %+v", second)
		}
		clk.Add(5*time.Minute + time.Second) // the window is over
		_, err = rate(5, "too late")
		wantErr(t, err, ErrConflict)
		if kept, err := s.ChatRating(ctx, c.ID); err != nil || kept.Score != 2 || kept.Comment != "on second thought" {
			t.Errorf("after a late rating: %+v, %v", kept, err)
		}

		// Each stored rating is a chat.rated event on the chat's chain; the
		// refused one is none.
		ds := allDeliveries(t, s, hook.ID)
		if len(ds) != 2 {
			t.Fatalf("%d chat.rated deliveries, want 2", len(ds))
		}
		for i, want := range []protocol.WebhookRatingData{
			{ChatID: c.ID, ProfileID: p.ID, UserID: &u.ID, Score: 4, Comment: "quick"},
			{ChatID: c.ID, ProfileID: p.ID, UserID: &u.ID, Score: 2, Comment: "on second thought", Replaced: true},
		} {
			var got protocol.WebhookRatingData
			if e := decodeEvent(t, ds[i], &got); e.Type != protocol.WebhookChatRated || ds[i].Chain != c.ID ||
				got.ChatID != want.ChatID || got.ProfileID != want.ProfileID || got.UserID == nil || *got.UserID != u.ID ||
				got.AgentID != nil || got.Score != want.Score || got.Comment != want.Comment || got.Replaced != want.Replaced {
				t.Errorf("delivery %d: %s %+v on chain %q, want %+v", i, e.Type, got, ds[i].Chain, want)
			}
		}

		_, err = s.RateChat(ctx, ChatRating{ChatID: "no-such-chat", Score: 3}, s.Now())
		wantErr(t, err, ErrConflict)
		_, err = s.RateChat(ctx, ChatRating{ChatID: c.ID, Score: 3, Comment: "nul\x00"}, s.Now())
		wantErr(t, err, ErrInvalid)

		// Concurrent first ratings of a chat: each is stored or replaced
		// in turn, and one of them stays whole.
		c2 := &Chat{ProfileID: p.ID, Context: ContextEmbedded}
		must(t, s.CreateChat(ctx, c2, nil))
		underLoad(8, 1, func(w, _ int) {
			_, err := s.RateChat(ctx, ChatRating{ChatID: c2.ID, Score: int64(w%5 + 1), Comment: fmt.Sprint("worker ", w)}, s.Now().Add(-window))
			if err != nil {
				t.Errorf("concurrent rating %d: %v", w, err)
			}
		})
		r, err := s.ChatRating(ctx, c2.ID)
		must(t, err)
		var w int
		if _, err := fmt.Sscanf(r.Comment, "worker %d", &w); err != nil || r.Score != int64(w%5+1) {
			t.Errorf("concurrent ratings left %+v", r)
		}
	})
}
