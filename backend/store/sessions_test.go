package store

import (
	"context"
	"testing"
	"time"
)

// Portal sessions find their enabled, unexpired user; ending one, all of
// a user's, or the expired ones removes exactly those.
func TestPortalSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := s.Now()
		ann := &User{Email: "Ann@Portal.test", FirstName: "Ann", PasswordHash: "h"}
		bob := &User{Email: "bob@portal.test", PasswordHash: "h"}
		must(t, s.CreateUser(ctx, ann))
		must(t, s.CreateUser(ctx, bob))
		for _, sess := range []*PortalSession{
			{TokenHash: "ann-1", UserID: ann.ID, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "ann-2", UserID: ann.ID, ExpiresAt: now.Add(time.Hour)},
			{TokenHash: "ann-old", UserID: ann.ID, ExpiresAt: now.Add(-time.Minute)},
			{TokenHash: "bob-1", UserID: bob.ID, ExpiresAt: now.Add(time.Hour)},
		} {
			must(t, s.CreatePortalSession(ctx, sess))
		}
		wantErr(t, s.CreatePortalSession(ctx, &PortalSession{TokenHash: "ghost", UserID: 999999, ExpiresAt: now.Add(time.Hour)}), ErrConflict)
		wantErr(t, s.CreatePortalSession(ctx, &PortalSession{UserID: ann.ID, ExpiresAt: now.Add(time.Hour)}), ErrInvalid)

		check := func(step string, want map[string]int64) {
			t.Helper()
			for hash, id := range want {
				u, err := s.UserBySession(ctx, hash, now)
				switch {
				case id == 0 && err == nil:
					t.Errorf("%s: session %s still finds user %d", step, hash, u.ID)
				case id != 0 && (err != nil || u.ID != id):
					t.Errorf("%s: session %s: %v %v, want user %d", step, hash, u, err, id)
				}
			}
		}
		check("created", map[string]int64{"ann-1": ann.ID, "ann-2": ann.ID, "ann-old": 0, "bob-1": bob.ID, "nosuch": 0})
		_, err := s.UserBySession(ctx, "a\x00b", now)
		wantErr(t, err, ErrInvalid)

		must(t, s.DeletePortalSession(ctx, "ann-1"))
		must(t, s.DeletePortalSession(ctx, "ann-1")) // gone already: no error
		check("one ended", map[string]int64{"ann-1": 0, "ann-2": ann.ID, "bob-1": bob.ID})

		bob.Disabled = true
		must(t, s.UpdateUser(ctx, bob))
		got, err := s.GetUser(ctx, bob.ID)
		if err != nil || !got.Disabled {
			t.Fatalf("disabled user reads back %+v %v", got, err)
		}
		check("bob disabled", map[string]int64{"ann-2": ann.ID, "bob-1": 0})

		n, err := s.DeleteExpiredPortalSessions(ctx, now)
		if err != nil || n != 1 {
			t.Errorf("expired sessions deleted: %d %v, want 1", n, err)
		}
		must(t, s.DeletePortalSessionsOf(ctx, ann.ID))
		check("all of ann's ended", map[string]int64{"ann-2": 0})
	})
}
