package store

import (
	"context"
	"testing"
)

// TestOnlineAgentsLapseWithoutAHeartbeat: an agent marked online by a node
// that has died stops counting after PresenceTTL; a node's TouchAgents
// keeps it counting.
func TestOnlineAgentsLapseWithoutAHeartbeat(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := &Agent{Email: "presence@example.test", Name: "P", PasswordHash: "x", Role: RoleAgent, Presence: PresenceOffline}
		if err := s.CreateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAgentPresence(ctx, a.ID, PresenceOnline); err != nil {
			t.Fatal(err)
		}
		count := func() int64 {
			n, err := s.CountAgentsWithPresence(ctx, PresenceOnline)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 1 {
			t.Fatalf("online agents just after going online = %d, want 1", n)
		}
		stale := s.Now().Add(-2 * PresenceTTL)
		if _, err := s.DB().NewUpdate().Model((*Agent)(nil)).Set("last_seen_at = ?", stale).Where("id = ?", a.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 0 {
			t.Errorf("online agents unseen for %v = %d, want 0", 2*PresenceTTL, n)
		}
		if err := s.TouchAgents(ctx, []int64{a.ID}); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 1 {
			t.Errorf("online agents after a heartbeat = %d, want 1", n)
		}
	})
}
