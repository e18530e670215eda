package securitytest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv/loopback"
)

// agentChat is one chat an agent console answers: what it sent and had
// acknowledged.
type agentChat struct {
	log      *chatLog
	accepted bool
	next     int              // the next message to send
	acked    map[string]int64 // clientMsgId → seq
	ackOrder []int64
}

// console is one agent's console: an account, its session and the chats
// it answers, over websockets it reconnects (to a random node) whenever
// one is cut.
type console struct {
	c       *chaos
	agent   *store.Agent
	token   string
	chats   []*agentChat
	perChat int
	rng     *rand.Rand
	cuts    *atomic.Int64
	retries *atomic.Int64
}

// TestChaosAgentsAnswerThroughFaults: agent consoles answer their chats
// over websockets that are cut at random (each socket lives 0.3–1.5 s,
// then the console reconnects to a random node and resends what was not
// acknowledged, with the same clientMsgId), while the visitors' sockets
// are cut too, node 2 is killed and restarted, PostgreSQL is killed and
// restarted, and node 1 is killed and restarted. Afterwards every
// acknowledged agent message is stored once, in order, and delivered once
// to the visitor; every chat is still live with its agent, who is online
// and whose console — reconnected — gets the visitor's next message.
func TestChaosAgentsAnswerThroughFaults(t *testing.T) {
	c, res := newChaos(t)
	if c == nil {
		return
	}
	const chats, agents, perChat = 8, 4, 15
	c.startChats(chats, res.Profile.ID, res.Profile.Key)
	var cuts, retries atomic.Int64
	consoles := c.consoles(agents, perChat, &cuts, &retries)
	c.transferAll()
	stopReaders, visitorCuts := c.readAll(13)
	defer stopReaders()
	var answering sync.WaitGroup
	// Bounded: 15 messages a chat take ~5 s; a loaded 2-core machine
	// took 50.
	deadline := time.Now().Add(90 * time.Second)
	for _, co := range consoles {
		answering.Add(1)
		go func() {
			defer answering.Done()
			co.answer(deadline)
		}()
	}
	c.faults()
	answering.Wait()
	c.catchUp()
	stopReaders()

	t.Logf("agent chaos: %d chats, %d agents, 2 nodes (each killed and restarted once), PostgreSQL killed and restarted once, %d agent socket cuts, %d visitor socket cuts",
		chats, agents, cuts.Load(), visitorCuts.Load())
	c.auditAgents(consoles, &retries)
	c.heldByPresentAgents(consoles)
}

// consoles makes n agent accounts, logs each in, and gives each of them
// chats in turn.
func (c *chaos) consoles(n, perChat int, cuts, retries *atomic.Int64) []*console {
	ctx := context.Background()
	out := make([]*console, n)
	for i := range out {
		a := &store.Agent{Email: fmt.Sprintf("chaos-agent-%d@example.com", i), Name: fmt.Sprintf("Agent %d", i),
			Role: store.RoleAgent, PasswordHash: storetest.PasswordHash(c.t, "chaos-password")}
		if err := c.st.CreateAgent(ctx, a); err != nil {
			c.t.Fatal(err)
		}
		tok, _, err := c.nodes[0].Auth.Login(ctx, a.Email, "chaos-password")
		if err != nil {
			c.t.Fatal(err)
		}
		out[i] = &console{c: c, agent: a, token: tok, perChat: perChat, rng: rand.New(rand.NewPCG(uint64(i), 17)), cuts: cuts, retries: retries}
	}
	for i, l := range c.logs {
		co := out[i%n]
		co.chats = append(co.chats, &agentChat{log: l, acked: map[string]int64{}})
	}
	// Online before the visitors ask for a person: a transfer with
	// nobody online falls back.
	for _, co := range out {
		if err := c.st.SetAgentPresence(ctx, co.agent.ID, store.PresenceOnline); err != nil {
			c.t.Fatal(err)
		}
	}
	return out
}

// transferAll has every visitor ask for a person: the chats wait in the
// queue.
func (c *chaos) transferAll() {
	for i, l := range c.logs {
		code, body, err := c.call(c.nodes[i%2], "POST", "/chat/api/v1/chats/"+l.id+"/messages",
			map[string]any{"clientMsgId": "person-" + l.id, "choice": 2}, l.secret)
		if err != nil || code != http.StatusOK {
			c.t.Fatalf("chat %s: ask for a person: %d %s %v", l.id, code, body, err)
		}
		ch, err := c.st.GetChat(context.Background(), l.id)
		if err != nil || ch.Status != store.ChatQueued {
			c.t.Fatalf("chat %s after asking for a person: %+v %v, want queued", l.id, ch, err)
		}
	}
}

// answer runs the console until every message of its chats is
// acknowledged or the deadline passes: socket after socket, each to a
// random node and cut after a random life.
func (co *console) answer(deadline time.Time) {
	for !co.done() && time.Now().Before(deadline) {
		n := co.c.nodes[co.rng.IntN(len(co.c.nodes))]
		life := time.Duration(300+co.rng.IntN(1200)) * time.Millisecond
		if co.session(n, life) {
			co.cuts.Add(1)
		}
	}
}

func (co *console) done() bool {
	for _, ch := range co.chats {
		if ch.next < co.perChat {
			return false
		}
	}
	return true
}

// session holds one agent socket for life at most: accepts the chats not
// yet accepted, then sends their next messages, each once acknowledged.
// It reports whether the socket was cut (by its life or a fault) before
// the work was done.
func (co *console) session(n *loopback.Service, life time.Duration) (cut bool) {
	ctx, cancel := context.WithTimeout(context.Background(), life)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, n.WS("/agent/ws"), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + co.token}}})
	if err != nil {
		time.Sleep(50 * time.Millisecond)
		return false
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	frames := make(chan protocol.Frame, 4096)
	go func() {
		defer close(frames)
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var f protocol.Frame
			if json.Unmarshal(data, &f) == nil {
				select {
				case frames <- f:
				default: // the test reads slowly: a dropped queue frame is no loss
				}
			}
		}
	}()
	wait := func(match func(protocol.Frame) bool) (protocol.Frame, bool) {
		timeout := time.NewTimer(2 * time.Second)
		defer timeout.Stop()
		for {
			select {
			case f, ok := <-frames:
				if !ok {
					return f, false
				}
				if match(f) {
					return f, true
				}
			case <-timeout.C:
				return protocol.Frame{}, false
			}
		}
	}
	write := func(f protocol.Frame) bool {
		f.V = protocol.ProtocolVersion
		return ws.Write(ctx, websocket.MessageText, mustJSON(f)) == nil
	}
	if _, ok := wait(func(f protocol.Frame) bool { return f.Type == protocol.FrameReady }); !ok {
		return true
	}
	for _, ch := range co.chats {
		if ch.accepted {
			continue
		}
		if !write(protocol.Frame{Type: protocol.FrameAccept, ChatID: ch.log.id}) {
			return true
		}
		f, ok := wait(func(f protocol.Frame) bool { return f.Type == protocol.FrameAccepted && f.ChatID == ch.log.id })
		if !ok {
			return true
		}
		// already_claimed after an accept whose answer a cut lost: the
		// chat is this agent's all the same.
		if f.Error != nil && !co.holds(ch) {
			co.retries.Add(1)
			return false
		}
		ch.accepted = true
	}
	for i := 0; !co.done(); i++ {
		ch := co.chats[i%len(co.chats)]
		if ch.next >= co.perChat {
			continue
		}
		id := fmt.Sprintf("%s-agent-%d", ch.log.id, ch.next)
		if !write(protocol.Frame{Type: protocol.FrameSend, ChatID: ch.log.id, ClientMsgID: id, Text: "answer " + id}) {
			return true
		}
		f, ok := wait(func(f protocol.Frame) bool {
			return (f.Type == protocol.FrameAck || f.Type == protocol.FrameError) && f.ClientMsgID == id
		})
		if !ok {
			return true
		}
		if f.Type != protocol.FrameAck || f.Seq == 0 {
			co.retries.Add(1) // refused meanwhile (PostgreSQL down): the same id again
			time.Sleep(100 * time.Millisecond)
			continue
		}
		ch.acked[id] = f.Seq
		ch.ackOrder = append(ch.ackOrder, f.Seq)
		ch.next++
		time.Sleep(time.Duration(50+co.rng.IntN(100)) * time.Millisecond)
	}
	return false
}

// holds reports whether ch is live with the console's agent.
func (co *console) holds(ch *agentChat) bool {
	got, err := co.c.st.GetChat(context.Background(), ch.log.id)
	return err == nil && got.Status == store.ChatLive && got.AgentID == co.agent.ID
}

// auditAgents checks that every agent message was acknowledged, each
// acknowledged one stored once as the agent's, in order, and that every
// chat's visitor socket got every stored message once and in order.
func (c *chaos) auditAgents(consoles []*console, retries *atomic.Int64) {
	t := c.t
	var tl tally
	sent := 0
	for _, co := range consoles {
		for _, ch := range co.chats {
			l := ch.log
			sent += co.perChat
			tl.acked += len(ch.acked)
			msgs := c.storedMessages(l)
			byClient := map[string][]store.Message{}
			for _, m := range msgs {
				if m.ClientMsgID != "" {
					byClient[m.ClientMsgID] = append(byClient[m.ClientMsgID], m)
				}
			}
			for id, seq := range ch.acked {
				got := byClient[id]
				switch {
				case len(got) == 0:
					tl.lost++
					t.Errorf("chat %s: agent message %s acknowledged (seq %d) but not stored", l.id, id, seq)
				case len(got) > 1:
					tl.storedDupes += len(got) - 1
				case got[0].Seq != seq || got[0].Sender != store.SenderAgent || got[0].AgentID != co.agent.ID:
					t.Errorf("chat %s: %s acknowledged as seq %d of agent %d, stored as seq %d of %s %d", l.id, id, seq, co.agent.ID, got[0].Seq, got[0].Sender, got[0].AgentID)
				}
				tl.stored += min(len(got), 1)
			}
			ackedInOrder(t, l.id, ch.ackOrder)
			tl.delivery(t, l, len(msgs))
		}
	}
	t.Logf("agent chaos: agent messages sent %d, acknowledged %d (after %d retries), stored %d, delivered to the visitors %d (all messages: bot's, system's, agents'), duplicates %d (stored %d), out of order %d, lost %d",
		sent, tl.acked, retries.Load(), tl.stored, tl.delivered, tl.dupes, tl.storedDupes, tl.gaps, tl.lost)
	tl.verdict(t, sent)
}

// heldByPresentAgents checks that no chat is held by an agent who is
// gone: each chat is live with its agent, the agent counts as online
// (its presence is online and a node has seen it within
// store.PresenceTTL), and a console of the agent, connected anew after
// the faults, gets the visitor's next message.
func (c *chaos) heldByPresentAgents(consoles []*console) {
	t := c.t
	ctx := context.Background()
	for i, co := range consoles {
		n := c.nodes[i%2]
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ws, _, err := websocket.Dial(dctx, n.WS("/agent/ws"), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + co.token}}})
		if err != nil {
			cancel()
			t.Fatalf("agent %d: connect after the chaos: %v", co.agent.ID, err)
		}
		ws.SetReadLimit(1 << 20)
		for _, ch := range co.chats {
			got, err := c.st.GetChat(ctx, ch.log.id)
			if err != nil || got.Status != store.ChatLive || got.AgentID != co.agent.ID {
				t.Errorf("chat %s after the chaos: %+v %v, want live with agent %d", ch.log.id, got, err, co.agent.ID)
				continue
			}
			id := "after-" + ch.log.id
			code, body, err := c.call(n, "POST", "/chat/api/v1/chats/"+ch.log.id+"/messages", protocol.SendRequest{ClientMsgID: id, Text: "still there?"}, ch.log.secret)
			if err != nil || code != http.StatusOK {
				t.Errorf("chat %s: the visitor's message after the chaos: %d %s %v", ch.log.id, code, body, err)
				continue
			}
			if !readUntil(dctx, ws, func(f protocol.Frame) bool {
				return f.Type == protocol.FrameMessage && f.ChatID == ch.log.id && f.Message != nil && f.Message.ClientMsgID == id
			}) {
				t.Errorf("chat %s: agent %d's console did not get the visitor's message after the chaos", ch.log.id, co.agent.ID)
			}
		}
		online, err := c.st.GetAgentByEmail(ctx, co.agent.Email)
		if err != nil || online.Presence != store.PresenceOnline || online.LastSeenAt.Before(time.Now().Add(-store.PresenceTTL)) {
			t.Errorf("agent %d holds chats and is connected after the chaos but is not online: %+v %v", co.agent.ID, online, err)
		}
		ws.CloseNow()
		cancel()
	}
}

// readUntil reads frames until match holds for one (true) or ctx ends.
func readUntil(ctx context.Context, ws *websocket.Conn, match func(protocol.Frame) bool) bool {
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return false
		}
		var f protocol.Frame
		if json.Unmarshal(data, &f) == nil && match(f) {
			return true
		}
	}
}
