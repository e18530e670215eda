package chatapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// TestPresenceAcrossNodes: an agent with a console on each of two nodes
// (one database) closes the one on node A. They stay online — a new
// chat's transfer queues for them instead of falling back for nobody
// online — and their live chat stays theirs, even once their last-seen
// time is past the grace period: node B still holds their console, and
// its console gets the visitor's next message. Once B's console closes
// too, the chat stays theirs for the grace period (chats.GoneAfter), and
// goes back to the queue after it.
func TestPresenceAcrossNodes(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a, b := e.node(nodeOpts{}), e.node(nodeOpts{})
		tok := a.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		onA, onB := agentClient(t, a, tok), agentClient(t, b, tok)

		// The visitor on node B as well: on SQLite the nodes share no
		// broker (one node is what SQLite serves).
		resp, v := queuedVisitor(t, b, "c1")
		queueFrameWith(onB, resp.ChatID)
		onB.send(protocol.Frame{Type: protocol.FrameAccept, ChatID: resp.ChatID})
		if f := onB.next(protocol.FrameAccepted); f.Error != nil {
			t.Fatalf("accept: %+v", f.Error)
		}

		onA.ws.CloseNow()
		e.waitConsoles(e.agent.ID, 1) // node A's word is gone
		if on, err := e.st.AgentOnline(ctx, e.agent.ID); err != nil || !on {
			t.Fatalf("online after closing the console on node A while node B holds one = %v, %v; want true", on, err)
		}
		if ag, err := e.st.GetAgent(ctx, e.agent.ID); err != nil || ag.Presence != store.PresenceOnline {
			t.Fatalf("the agent's presence after node A's close: %+v, %v; want online", ag, err)
		}
		// Their last-seen time past the grace period: node B's word
		// alone keeps the chat theirs.
		e.ageLastSeen(e.agent.ID, 2*chats.GoneAfter)
		for _, n := range []*node{a, b} {
			if moved, err := n.svc.RequeueGone(ctx, chats.GoneAfter); err != nil || moved != 0 {
				t.Fatalf("RequeueGone with a console on node B = %d, %v; want 0", moved, err)
			}
		}
		e.wantChat(resp.ChatID, store.ChatLive, e.agent.ID)
		v.send(protocol.Frame{Type: protocol.FrameSend, ClientMsgID: "c2", Text: "still there?"})
		onB.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.ClientMsgID == "c2" })

		// A new chat asks for a person: the agent is online, it queues.
		queuedVisitor(t, b, "n1")

		// The last console closes: theirs for the grace period, then gone.
		onB.ws.CloseNow()
		e.waitConsoles(e.agent.ID, 0)
		if on, err := e.st.AgentOnline(ctx, e.agent.ID); err != nil || on {
			t.Fatalf("online with no console open = %v, %v; want false", on, err)
		}
		if moved, err := a.svc.RequeueGone(ctx, chats.GoneAfter); err != nil || moved != 0 {
			t.Fatalf("RequeueGone just after the last console closed = %d, %v; want 0", moved, err)
		}
		e.wantChat(resp.ChatID, store.ChatLive, e.agent.ID)
		e.ageLastSeen(e.agent.ID, chats.GoneAfter+time.Second)
		// (A node's own sweep, every 5 s, may move it first.)
		if _, err := a.svc.RequeueGone(ctx, chats.GoneAfter); err != nil {
			t.Fatalf("RequeueGone after the grace period: %v", err)
		}
		e.wantChat(resp.ChatID, store.ChatQueued, 0)
	})
}

// waitConsoles waits until as many nodes hold consoles of agent id as
// want (the close of a socket is written after it ends).
func (e *env) waitConsoles(id int64, want int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int64
		err := e.st.DB().NewSelect().TableExpr("agent_consoles").ColumnExpr("count(*)").Where("agent_id = ?", id).Scan(context.Background(), &n)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == int64(want) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("nodes holding consoles of agent %d: %d after 10 s, want %d", id, n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ageLastSeen sets the last time a node saw agent id to ago before now.
func (e *env) ageLastSeen(id int64, ago time.Duration) {
	e.t.Helper()
	if _, err := e.st.DB().NewUpdate().Model((*store.Agent)(nil)).Set("last_seen_at = ?", e.st.Now().Add(-ago)).
		Where("id = ?", id).Exec(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// wantChat fails unless chat id has that status and agent.
func (e *env) wantChat(id, status string, agent int64) {
	e.t.Helper()
	c, err := e.st.GetChat(context.Background(), id)
	if err != nil || c.Status != status || c.AgentID != agent {
		e.t.Fatalf("chat %s: %+v, %v; want %s with agent %d", id, c, err, status, agent)
	}
}

// TestAgentThroughTheAPIIsSeenByWhatTheyDo: an agent who works through
// the HTTP API has no console on any node; past the grace period since
// their last console, a message they post keeps their chat theirs
// (chats.SeenThroughAPI), and the grace period after their last act
// gives it back.
func TestAgentThroughTheAPIIsSeenByWhatTheyDo(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		n := e.node(nodeOpts{})
		if err := e.st.SetAgentPresence(ctx, e.agent.ID, store.PresenceOnline); err != nil {
			t.Fatal(err)
		}
		tok := "Bearer " + n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		resp, _ := queuedVisitor(t, n, "v1")
		if code := n.call("POST", "/api/Chat/"+resp.ChatID+"/accept", nil, nil, "Authorization", tok); code != http.StatusOK {
			t.Fatalf("accept: %d", code)
		}
		if err := e.st.SetAgentPresence(ctx, e.agent.ID, store.PresenceOffline); err != nil {
			t.Fatal(err)
		}
		e.ageLastSeen(e.agent.ID, chats.GoneAfter+time.Second)
		if code := n.call("POST", "/api/ChatMessage", map[string]any{"chat_id": resp.ChatID, "client_msg_id": "a1", "text": "Still on it"},
			nil, "Authorization", tok); code != http.StatusCreated {
			t.Fatalf("post a message: %d", code)
		}
		if moved, err := n.svc.RequeueGone(ctx, chats.GoneAfter); err != nil || moved != 0 {
			t.Fatalf("RequeueGone right after the agent's message = %d, %v; want 0", moved, err)
		}
		e.wantChat(resp.ChatID, store.ChatLive, e.agent.ID)
		e.ageLastSeen(e.agent.ID, chats.GoneAfter+time.Second)
		if _, err := n.svc.RequeueGone(ctx, chats.GoneAfter); err != nil {
			t.Fatalf("RequeueGone after the grace period: %v", err)
		}
		e.wantChat(resp.ChatID, store.ChatQueued, 0)
	})
}
