package chatapi_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/storetest"
)

func (e *env) extraAgent(email, name, password string) {
	e.t.Helper()
	hash := storetest.PasswordHash(e.t, password)
	if err := e.st.CreateAgent(context.Background(), &store.Agent{Email: email, Name: name, Role: store.RoleAgent, PasswordHash: hash}); err != nil {
		e.t.Fatal(err)
	}
}

// queueFrameWith waits for a queue frame listing chatID.
func queueFrameWith(c *client, chatID string) {
	c.t.Helper()
	for {
		f := c.next(protocol.FrameQueue)
		for _, ch := range f.Chats {
			if ch.ID == chatID {
				return
			}
		}
	}
}

// Transfer → queue → an agent accepts (in real time) → both talk, see
// typing → the agent ends; and the accept race has one winner.
func TestLiveAgent(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		tok := n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		ag := agentClient(t, n, tok)
		ag.next(protocol.FrameQueue)

		resp, v := queuedVisitor(t, n, "v1")
		queueFrameWith(ag, resp.ChatID)

		ag.send(protocol.Frame{Type: protocol.FrameAccept, ChatID: resp.ChatID})
		if f := ag.next(protocol.FrameAccepted); f.Error != nil || f.Chat.Status != protocol.ChatStatusLive || f.Chat.AgentName != e.demo.Agent.Name {
			t.Fatalf("accepted: %+v %+v", f.Error, f.Chat)
		}
		joined := v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventAgentJoined })
		if joined[len(joined)-1].AgentName != e.demo.Agent.Name {
			t.Fatalf("visitor does not see the agent's name: %+v", joined)
		}
		// The agent gets the whole transcript of the accepted chat.
		hist := ag.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventAgentJoined })
		checkSeqs(t, hist, 1)

		on := true
		v.send(protocol.Frame{Type: protocol.FrameTyping, Typing: &on})
		if f := ag.next(protocol.FrameTyping); f.From != protocol.FromVisitor || !*f.Typing || f.ChatID != resp.ChatID {
			t.Fatalf("agent sees typing: %+v", f)
		}
		ag.send(protocol.Frame{Type: protocol.FrameTyping, ChatID: resp.ChatID, Typing: &on})
		if f := v.next(protocol.FrameTyping); f.From != protocol.FromAgent {
			t.Fatalf("visitor sees typing: %+v", f)
		}
		ag.send(protocol.Frame{Type: protocol.FrameSend, ChatID: resp.ChatID, ClientMsgID: "a1", Text: "Hello, how can I help?"})
		ag.next(protocol.FrameAck)
		m := v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.From == protocol.FromAgent })
		if got := m[len(m)-1]; got.Text != "Hello, how can I help?" || got.AgentName != e.demo.Agent.Name {
			t.Fatalf("visitor got %+v", got)
		}
		sendText(v, "v2", "My order is late")
		ag.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.ClientMsgID == "v2" })

		ag.send(protocol.Frame{Type: protocol.FrameEnd, ChatID: resp.ChatID})
		end := v.messagesUntil(resp.ChatID, isEnd)
		if end[len(end)-1].Reason != protocol.EndByAgent {
			t.Fatalf("end: %+v", end[len(end)-1])
		}
		var detail ChatDetailT
		n.call("GET", "/api/Chat/"+resp.ChatID, nil, &detail, "Authorization", "Bearer "+tok)
		checkSeqs(t, detail.Messages, 1)
		if detail.Chat.Status != protocol.ChatStatusEnded {
			t.Fatalf("chat: %+v", detail.Chat)
		}
	})
}

type ChatDetailT struct {
	Chat     protocol.ChatState     `json:"chat"`
	Messages []protocol.ChatMessage `json:"messages"`
}

func TestAcceptRace(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		e.extraAgent("b@example.com", "Bea", "password-b-123")
		toks := []string{n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password), n.agentToken("b@example.com", "password-b-123")}
		ctx := context.Background()
		a, _ := e.st.GetAgentByEmail(ctx, e.demo.Agent.Email)
		if err := e.st.SetAgentPresence(ctx, a.ID, store.PresenceOnline); err != nil {
			t.Fatal(err)
		}
		for round := range 3 {
			resp, v := queuedVisitor(t, n, "v1")
			var wins, losses atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var eb protocol.ErrorBody
					code := n.call("POST", "/api/Chat/"+resp.ChatID+"/accept", nil, &eb, "Authorization", "Bearer "+toks[i%2])
					switch {
					case code == http.StatusOK:
						wins.Add(1)
					case code == http.StatusConflict && eb.Error.Code == protocol.CodeAlreadyClaimed:
						losses.Add(1)
					default:
						t.Errorf("accept: %d %+v", code, eb)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 || losses.Load() != 7 {
				t.Fatalf("round %d: %d wins, %d losses", round, wins.Load(), losses.Load())
			}
			joined := v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventAgentJoined })
			for _, m := range joined[:len(joined)-1] {
				if m.Event == protocol.EventAgentJoined {
					t.Fatalf("two agent_joined messages")
				}
			}
		}
	})
}
