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
// agent while a node holds a console of theirs (however long the chat),
// and for GoneAfter after their last console closed; then it goes back
// to the queue — the visitor told, the flow waiting on its transfer
// again — as it does at once when the agent is disabled; another agent
// then takes it and the chat goes on.
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
			if n, err := e.svc.RequeueGone(e.ctx, chats.GoneAfter); err != nil || n != want {
				t.Fatalf("RequeueGone = %d, %v; want %d", n, err, want)
			}
		}
		// A node holds a console (TouchAgents every PresenceTTL/3): the
		// chats stay, for hours.
		for range 12 {
			clk.add(store.PresenceTTL / 3)
			if err := e.st.TouchAgents(e.ctx, "node-a", []int64{e.agent.ID}); err != nil {
				t.Fatal(err)
			}
			requeue(0)
		}
		// The last console closes: the chats stay for the grace period.
		if err := e.st.AgentConsoleClosed(e.ctx, "node-a", e.agent.ID); err != nil {
			t.Fatal(err)
		}
		clk.add(chats.GoneAfter - time.Second)
		requeue(0)
		// Gone: no console of theirs on any node for longer than GoneAfter.
		clk.add(2 * time.Second)
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
		if _, err := e.svc.AgentSend(e.ctx, gone, other, "", protocol.SendRequest{ClientMsgID: "o1", Text: "I'm here."}); err != nil {
			t.Fatalf("the new agent writes: %v", err)
		}
		// A disabled agent is gone at once, however fresh.
		if err := e.st.TouchAgents(e.ctx, "node-b", []int64{other.ID}); err != nil {
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
