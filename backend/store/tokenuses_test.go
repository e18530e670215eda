package store

import (
	"cmp"
	"context"
	"testing"
	"time"
)

// A token id is used once per profile until its record expires; of
// concurrent uses exactly one wins; the sweep deletes expired records.
func TestUseTokenID(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, b := &ChatProfile{Name: "a", Access: AccessPortal}, &ChatProfile{Name: "b", Access: AccessPortal}
		must(t, s.CreateProfile(ctx, a))
		must(t, s.CreateProfile(ctx, b))
		use := func(p *ChatProfile, jti string, until time.Time) bool {
			t.Helper()
			ok, err := s.UseTokenID(ctx, p.ID, jti, until)
			must(t, err)
			return ok
		}
		hour := s.Now().Add(time.Hour)
		for _, tc := range []struct {
			what  string
			p     *ChatProfile
			jti   string
			until time.Time
			want  bool
		}{
			{"first use", a, "j1", hour, true},
			{"second use", a, "j1", hour, false},
			{"the same id on another profile", b, "j1", hour, true},
			{"another id", a, "j2", hour, true},
			// A record past its expiry (its token can no longer be valid)
			// stops nothing: the id is used anew.
			{"a record that has expired", a, "old", s.Now().Add(-time.Second), true},
			{"its id used anew", a, "old", hour, true},
			{"and not again", a, "old", hour, false},
			{"a longer-lived id", a, "late", s.Now().Add(3 * time.Hour), true},
		} {
			if got := use(tc.p, tc.jti, tc.until); got != tc.want {
				t.Errorf("%s: %v, want %v", tc.what, got, tc.want)
			}
		}

		oneWins(t, 8, errLost, func(int) error {
			if ok, err := s.UseTokenID(ctx, a.ID, "race", hour); err != nil || !ok {
				return cmp.Or(err, errLost)
			}
			return nil
		})

		// Two hours on, all but the longer-lived record have expired.
		n, err := s.DeleteExpiredTokenUses(ctx, s.Now().Add(2*time.Hour))
		must(t, err)
		if n != 5 { // a/j1, b/j1, a/j2, a/old, a/race
			t.Errorf("swept %d, want 5", n)
		}
		if use(a, "late", hour) {
			t.Error("the sweep took a live record")
		}
		// A profile's records go with it.
		must(t, s.DeleteProfile(ctx, a.ID))
		left, err := s.DB().NewSelect().Model((*TokenUse)(nil)).Count(ctx)
		must(t, err)
		if left != 0 {
			t.Errorf("%d records left after their profile was deleted", left)
		}
	})
}
