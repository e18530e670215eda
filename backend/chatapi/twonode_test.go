package chatapi_test

import (
	"fmt"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/realtime"
	"halochat/backend/testenv"
)

// Two nodes share one PostgreSQL database, each with its own
// LISTEN/NOTIFY broker: the visitor is on one, the agent on the other,
// and every message reaches both once and in order.
func TestTwoNodes(t *testing.T) {
	e := newEnv(t, testenv.PostgresDSN(t))
	var nodes []*node
	for range 2 { // each node's broker listens once it has started
		nodes = append(nodes, e.node(nodeOpts{limits: realtime.Limits{SendsPerSecond: -1}}))
	}
	a, b := nodes[0], nodes[1]
	tok := b.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
	ag := agentClient(t, b, tok)
	ag.next(protocol.FrameQueue)

	resp := a.mustStart(protocol.StartChatRequest{})
	v := visitor(t, a, resp.ChatID, resp.ResumeSecret, 0)
	choose(v, "v0", 2)
	v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventQueued })
	queueFrameWith(ag, resp.ChatID) // the queue change crossed nodes
	ag.send(protocol.Frame{Type: protocol.FrameAccept, ChatID: resp.ChatID})
	if f := ag.next(protocol.FrameAccepted); f.Error != nil {
		t.Fatalf("accept: %+v", f.Error)
	}
	v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventAgentJoined })

	const each = 30
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range each {
			ag.send(protocol.Frame{Type: protocol.FrameSend, ChatID: resp.ChatID, ClientMsgID: fmt.Sprintf("a%d", i), Text: fmt.Sprintf("agent %d", i)})
		}
	}()
	for i := range each {
		v.send(protocol.Frame{Type: protocol.FrameSend, ClientMsgID: fmt.Sprintf("v%d", i+1), Text: fmt.Sprintf("visitor %d", i)})
	}
	<-done
	on := true
	v.send(protocol.Frame{Type: protocol.FrameTyping, Typing: &on})
	if f := ag.next(protocol.FrameTyping); f.From != protocol.FromVisitor {
		t.Fatalf("typing across nodes: %+v", f)
	}

	count := func(ms []protocol.ChatMessage, prefix byte) int {
		n := 0
		for _, m := range ms {
			if len(m.ClientMsgID) > 0 && m.ClientMsgID[0] == prefix && m.ClientMsgID != "v0" {
				n++
			}
		}
		return n
	}
	full := func(ms []protocol.ChatMessage) bool { return count(ms, 'a') == each && count(ms, 'v') == each }
	for _, c := range []*client{v, ag} {
		for !full(c.seen) {
			c.messagesUntil(resp.ChatID, func(protocol.ChatMessage) bool { return true })
		}
		checkSeqs(t, c.seen, 1)
	}
}
