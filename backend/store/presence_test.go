package store

import (
	"context"
	"testing"
)

// TestPresenceAcrossNodes: each node keeps its own word that it holds an
// agent's consoles. The agent is online while any node's word is fresh:
// one node closing its last console leaves the agent online while
// another node holds one; a node that died (no refresh) stops counting
// after PresenceTTL, and a refresh (TouchAgents) writes its word afresh.
func TestPresenceAcrossNodes(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := &Agent{Email: "presence@example.test", Name: "P", PasswordHash: "x", Role: RoleAgent}
		must(t, s.CreateAgent(ctx, a))
		state := func() (bool, int64, string) {
			t.Helper()
			on, err := s.AgentOnline(ctx, a.ID)
			must(t, err)
			n, err := s.CountAgentsWithPresence(ctx, PresenceOnline)
			must(t, err)
			got, err := s.GetAgent(ctx, a.ID)
			must(t, err)
			return on, n, got.Presence
		}
		want := func(step string, online bool) {
			t.Helper()
			on, n, col := state()
			wantN, wantCol := int64(0), PresenceOffline
			if online {
				wantN, wantCol = 1, PresenceOnline
			}
			if on != online || n != wantN || col != wantCol {
				t.Fatalf("%s: online %v, %d counted, presence %q; want %v, %d, %q", step, on, n, col, online, wantN, wantCol)
			}
		}
		want("before any console", false)
		must(t, s.AgentConsoleOpened(ctx, "node-a", a.ID))
		must(t, s.AgentConsoleOpened(ctx, "node-b", a.ID))
		want("consoles on two nodes", true)
		must(t, s.AgentConsoleClosed(ctx, "node-a", a.ID))
		want("node a closed its console, node b holds one", true)
		must(t, s.AgentConsoleClosed(ctx, "node-b", a.ID))
		want("both closed", false)

		// Node b dies holding a console: its word lapses after
		// PresenceTTL; a refresh writes it again.
		must(t, s.AgentConsoleOpened(ctx, "node-b", a.ID))
		stale := s.Now().Add(-2 * PresenceTTL)
		if _, err := s.DB().NewUpdate().Model((*agentConsole)(nil)).Set("seen_at = ?", stale).Where("agent_id = ?", a.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if on, _, _ := state(); on {
			t.Fatalf("online with node b's word %v old", 2*PresenceTTL)
		}
		must(t, s.TouchAgents(ctx, "node-c", nil)) // another node's refresh removes the stale word
		if n, err := s.DB().NewSelect().Model((*agentConsole)(nil)).Where("agent_id = ?", a.ID).Count(ctx); err != nil || n != 0 {
			t.Fatalf("rows of the agent after a refresh elsewhere = %d, %v; want 0 (stale removed)", n, err)
		}
		must(t, s.TouchAgents(ctx, "node-b", []int64{a.ID, 999999})) // an agent deleted meanwhile fails nothing
		want("node b's refresh", true)

		// Disabled: offline whatever the nodes say.
		a.Disabled = true
		must(t, s.UpdateAgent(ctx, a))
		if on, n, _ := state(); on || n != 0 {
			t.Fatalf("a disabled agent: online %v, %d counted", on, n)
		}
		// Unknown agents are refused by name.
		wantErr(t, s.AgentConsoleOpened(ctx, "node-a", 999999), ErrNotFound)
	})
}
