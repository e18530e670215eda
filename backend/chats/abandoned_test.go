package chats_test

import (
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/demo"
	"halochat/backend/store"
	"halochat/backend/storetest"
)

// TestChatsOfAGoneAgentGoBackToTheQueue: a live chat stays with its
// agent while a node sees them (however long the chat), and goes back to
// the queue — the visitor told, the flow waiting on its transfer again —
// once the agent is gone (no node has seen them for AbandonedAfter, or
// disabled); another agent then takes it and the chat goes on.
func TestChatsOfAGoneAgentGoBackToTheQueue(t *testing.T) {
	eachDatabaseTicking(t, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), func(t *testing.T, e *env, clk *clock) {
		e.presence(t, e.agent, store.PresenceOnline)
		other := &store.Agent{Email: "second@example.com", Name: "Second", Role: store.RoleAgent, PasswordHash: storetest.PasswordHash(t, "pw-second")}
		if err := e.st.CreateAgent(e.ctx, other); err != nil {
			t.Fatal(err)
		}
		live := func() string {
			id := e.transferred(t)
			if _, err := e.svc.Accept(e.ctx, id, e.agent); err != nil {
				t.Fatalf("accept: %v", err)
			}
			return id
		}
		held, gone := live(), live()
		requeue := func(want int) {
			t.Helper()
			if n, err := e.svc.RequeueAbandoned(e.ctx, chats.AbandonedAfter); err != nil || n != want {
				t.Fatalf("RequeueAbandoned = %d, %v; want %d", n, err, want)
			}
		}
		// Seen by a node (TouchAgents) every few seconds: the chats stay.
		for range 4 {
			clk.add(2 * time.Minute)
			if err := e.st.TouchAgents(e.ctx, []int64{e.agent.ID}); err != nil {
				t.Fatal(err)
			}
			requeue(0)
		}
		// Gone: seen by no node for longer than AbandonedAfter.
		clk.add(chats.AbandonedAfter + time.Second)
		requeue(2)
		for _, id := range []string{held, gone} {
			c := e.chat(t, id)
			if c.Status != store.ChatQueued || c.AgentID != 0 || !c.QueuedAt.Equal(clk.now().Truncate(time.Microsecond)) {
				t.Errorf("chat %s after its agent left: %s, agent %d, queued at %v", id, c.Status, c.AgentID, c.QueuedAt)
			}
			wantAt(t, c, demo.StepTransfer, flow.StatusAwaitingAgent)
			if !hasText(e.messages(t, id), e.agent.Name+" has left the chat. You are waiting for the next agent.") {
				t.Errorf("chat %s: the visitor was not told the agent left: %+v", id, e.messages(t, id))
			}
		}
		requeue(0) // queued chats are not live: nothing more to do
		// Another agent takes it, and the chat goes on.
		if _, err := e.svc.Accept(e.ctx, gone, other); err != nil {
			t.Fatalf("another agent accepts the requeued chat: %v", err)
		}
		if _, err := e.svc.AgentSend(e.ctx, gone, other, protocol.SendRequest{ClientMsgID: "o1", Text: "I'm here."}); err != nil {
			t.Fatalf("the new agent writes: %v", err)
		}
		// A disabled agent is gone at once, however fresh.
		if err := e.st.TouchAgents(e.ctx, []int64{other.ID}); err != nil {
			t.Fatal(err)
		}
		requeue(0)
		other.Disabled = true
		if err := e.st.UpdateAgent(e.ctx, other); err != nil {
			t.Fatal(err)
		}
		requeue(1)
		if c := e.chat(t, gone); c.Status != store.ChatQueued {
			t.Errorf("the disabled agent's chat: %s, want queued", c.Status)
		}
	})
}
