package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Failures count, lock from the third on (10 s, then 20 s, …), are
// forgotten after an hour without any, and are cleared by a success; of
// concurrent attempts each takes its own place; the sweep keeps locks.
func TestClaimLogin(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		p := LoginPolicy{Forget: time.Hour, Lock: func(n int64) time.Duration {
			return time.Duration(max(0, n-2)) * 10 * time.Second
		}}
		t0 := s.Now()
		for _, tc := range []struct {
			what      string
			at        time.Duration // after t0
			clear     bool          // ClearLoginFailures first
			admitted  bool
			failures  int64
			lockedFor time.Duration // LockedUntil - (t0 + at), or the lock in force
		}{
			{"first", 0, false, true, 1, 0},
			{"second", time.Second, false, true, 2, 0},
			{"third: locks 10 s before its password is checked", 2 * time.Second, false, true, 3, 10 * time.Second},
			{"within the lock", 5 * time.Second, false, false, 3, 7 * time.Second},
			{"after the lock: the fourth locks 20 s", 13 * time.Second, false, true, 4, 20 * time.Second},
			{"a success clears: the next is the first", 14 * time.Second, true, true, 1, 0},
			{"an hour without failures forgets them", 14*time.Second + time.Hour, false, true, 1, 0},
		} {
			if tc.clear {
				must(t, s.ClearLoginFailures(ctx, "agent:a"))
			}
			now := t0.Add(tc.at)
			got, ok, err := s.ClaimLogin(ctx, "agent:a", now, p)
			must(t, err)
			var lockedFor time.Duration
			if !got.LockedUntil.IsZero() {
				lockedFor = got.LockedUntil.Sub(now)
			}
			if ok != tc.admitted || got.Failures != tc.failures || lockedFor != tc.lockedFor {
				t.Errorf("%s: admitted %v, %d failures, locked for %s; want %v, %d, %s",
					tc.what, ok, got.Failures, lockedFor, tc.admitted, tc.failures, tc.lockedFor)
			}
		}
		if _, _, err := s.ClaimLogin(ctx, "agent:a\x00", t0, p); err == nil {
			t.Error("a subject with a NUL byte was claimed")
		}

		// Eight attempts at once at an account locked from the first
		// failure on: one is admitted, on whichever connection.
		lockAll := LoginPolicy{Forget: time.Hour, Lock: func(int64) time.Duration { return time.Hour }}
		var wg sync.WaitGroup
		var admitted atomic.Int32
		for range 8 {
			wg.Go(func() {
				_, ok, err := s.ClaimLogin(ctx, "client:race", t0, lockAll)
				if err != nil {
					t.Errorf("ClaimLogin: %v", err)
				}
				if ok {
					admitted.Add(1)
				}
			})
		}
		wg.Wait()
		if n := admitted.Load(); n != 1 {
			t.Errorf("%d of 8 concurrent attempts admitted, want 1", n)
		}

		// The sweep deletes what is forgotten and locks nothing.
		_, _, err := s.ClaimLogin(ctx, "agent:old", t0.Add(-2*time.Hour), p)
		must(t, err)
		n, err := s.DeleteStaleLoginFailures(ctx, t0, p)
		must(t, err)
		if n != 1 {
			t.Errorf("DeleteStaleLoginFailures deleted %d, want 1 (agent:old; client:race is locked, agent:a recent)", n)
		}
		if _, ok, _ := s.ClaimLogin(ctx, "client:race", t0.Add(time.Minute), lockAll); ok {
			t.Error("the sweep lifted a lock")
		}
	})
}
