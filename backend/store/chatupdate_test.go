package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// queueChat hands a bot chat to the agent queue as the bot flow does: a
// conditional update on its status.
func queueChat(ctx context.Context, s *Store, chatID string) (bool, error) {
	status, now := ChatQueued, s.Now()
	return s.UpdateChat(ctx, chatID, ChatBot, ChatUpdate{Status: &status, QueuedAt: &now})
}

// claimChat gives a queued chat to an agent as an agent's accept does.
func claimChat(ctx context.Context, s *Store, chatID string, agentID int64) (bool, error) {
	status, now := ChatLive, s.Now()
	res, err := s.AdvanceChat(ctx, chatID, ChatAdvance{ExpectStatus: ChatQueued,
		Update: ChatUpdate{Status: &status, AgentID: &agentID, AcceptedAt: &now}})
	return res.Applied, err
}

// endChat ends a chat that has not ended, with the ticket logged from it
// (0 for none), as the flow's end does.
func endChat(ctx context.Context, s *Store, chatID, reason string, ticketID int64) (bool, error) {
	status, now := ChatEnded, s.Now()
	u := ChatUpdate{Status: &status, EndedAt: &now, EndReason: &reason}
	if ticketID != 0 {
		u.TicketID = &ticketID
	}
	res, err := s.AdvanceChat(ctx, chatID, ChatAdvance{NotEnded: true, Update: u})
	return res.Applied, err
}

// TestClaimRace: of agents accepting one queued chat at once, exactly one
// gets it.
func TestClaimRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newChat(t, s, ChatBot)
		if ok, err := claimChat(ctx, s, c.ID, 1); err != nil || ok {
			t.Fatalf("claim of a bot chat = %v, %v", ok, err)
		}
		if ok, err := queueChat(ctx, s, c.ID); err != nil || !ok {
			t.Fatalf("queue = %v, %v", ok, err)
		}
		if ok, err := queueChat(ctx, s, c.ID); err != nil || ok {
			t.Fatalf("second queue = %v, %v", ok, err)
		}
		if qs, err := s.ListChats(ctx, ChatFilter{Status: ChatQueued}); err != nil || len(qs) != 1 || qs[0].QueuedAt.IsZero() {
			t.Fatalf("queue = %+v, %v", qs, err)
		}
		agents := make([]int64, 8)
		for i := range agents {
			a := &Agent{Email: fmt.Sprintf("a%d@example.com", i), Name: "A", Role: RoleAgent}
			must(t, s.CreateAgent(ctx, a))
			agents[i] = a.ID
		}
		var wg sync.WaitGroup
		won := make([]bool, len(agents))
		errs := make([]error, len(agents))
		for i := range agents {
			wg.Go(func() { won[i], errs[i] = claimChat(ctx, s, c.ID, agents[i]) })
		}
		wg.Wait()
		winner := int64(0)
		for i := range agents {
			must(t, errs[i])
			if won[i] {
				if winner != 0 {
					t.Fatal("two agents claimed the chat")
				}
				winner = agents[i]
			}
		}
		gc, err := s.GetChat(ctx, c.ID)
		must(t, err)
		if winner == 0 || gc.AgentID != winner || gc.Status != ChatLive || gc.AcceptedAt.IsZero() {
			t.Fatalf("winner %d, chat %+v", winner, gc)
		}
	})
}
