package chatapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/chats"
	"halochat/backend/demo"
	"halochat/backend/mail"
	"halochat/backend/realtime"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// env is one database with a seeded demo.
type env struct {
	t     *testing.T
	dsn   string
	st    *store.Store
	demo  *demo.Result
	agent *store.Agent
}

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	st, res := storetest.Demo(t, dsn)
	a, err := st.GetAgentByEmail(ctx, res.Agent.Email)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, dsn: dsn, st: st, demo: res, agent: a}
}

// node is the service running on loopback over the env's database.
type node struct {
	e      *env
	url    string
	svc    *chats.Service
	broker realtime.Broker
	auth   *auth.Service
	rt     *realtime.Server
	api    *testenv.Client // calls as the widget makes them
}

type nodeOpts struct {
	limits realtime.Limits
	// guardRunbooks keeps runbooks off loopback, as in production (the
	// other nodes let them reach the tests' targets on 127.0.0.0/8).
	guardRunbooks bool
	// mail sends the service's mail (serve --smtp); nil: none.
	mail *mail.DispatchConfig
}

func (e *env) node(o nodeOpts) *node {
	t := e.t
	t.Helper()
	allow := []string{"127.0.0.0/8"}
	if o.guardRunbooks {
		allow = nil
	}
	s := loopback.Start(t, loopback.Options{DSN: e.dsn, Store: e.st, OutboundAllow: allow,
		Limits: service.Limits{StartsPerMinute: -1, Realtime: o.limits}, Mail: o.mail})
	return &node{e: e, url: s.URL, svc: s.Chats, broker: s.Broker, auth: s.Auth, rt: s.Realtime, api: s.SameOrigin()}
}

// call does an HTTP request with a JSON body and decodes the answer.
func (n *node) call(method, path string, body any, out any, header ...string) int {
	n.e.t.Helper()
	return n.api.Call(method, path, body, out, header...)
}

func (n *node) start(req protocol.StartChatRequest) (*protocol.StartChatResponse, int, protocol.ErrorBody) {
	n.e.t.Helper()
	if req.ConfigID == "" {
		req.ConfigID, req.ConfigKey = n.e.demo.Profile.ID, n.e.demo.Profile.Key
	}
	if req.HostOrigin == "" {
		req.HostOrigin = "http://localhost:9999"
	}
	var raw json.RawMessage
	code := n.call("POST", "/chat/api/v1/start", req, &raw)
	var resp protocol.StartChatResponse
	var eb protocol.ErrorBody
	if code/100 == 2 {
		_ = json.Unmarshal(raw, &resp)
		return &resp, code, eb
	}
	_ = json.Unmarshal(raw, &eb)
	return nil, code, eb
}

func (n *node) mustStart(req protocol.StartChatRequest) *protocol.StartChatResponse {
	n.e.t.Helper()
	resp, code, eb := n.start(req)
	if resp == nil {
		n.e.t.Fatalf("start: %d %+v", code, eb)
	}
	return resp
}

// agentToken logs the demo agent in.
func (n *node) agentToken(email, password string) string {
	n.e.t.Helper()
	tok, _, err := n.auth.Login(context.Background(), email, password)
	if err != nil {
		n.e.t.Fatalf("login %s: %v", email, err)
	}
	return tok
}

// client is a websocket client collecting frames.
type client struct {
	t       *testing.T
	ws      *websocket.Conn
	frames  chan protocol.Frame
	done    chan struct{}
	pending []protocol.Frame
	seen    []protocol.ChatMessage // every message frame messagesUntil returned, in order
	end     error                  // why the socket ended: set before done is closed
}

func dial(t *testing.T, n *node, path string, header http.Header) *client {
	t.Helper()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Origin", n.url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.url, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	ws.SetReadLimit(1 << 20)
	c := &client{t: t, ws: ws, frames: make(chan protocol.Frame, 1024), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				c.end = err
				return
			}
			var f protocol.Frame
			if err := json.Unmarshal(data, &f); err != nil {
				t.Errorf("bad frame %q", data)
				return
			}
			c.frames <- f
		}
	}()
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) send(f protocol.Frame) {
	c.t.Helper()
	f.V = protocol.ProtocolVersion
	b, _ := json.Marshal(f)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// next returns the first frame of one of the types, keeping frames of
// other types for later calls, failing after a timeout.
func (c *client) next(types ...string) protocol.Frame {
	c.t.Helper()
	for i, f := range c.pending {
		if contains(types, f.Type) {
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			return f
		}
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-c.frames:
			if contains(types, f.Type) {
				return f
			}
			if f.Type == protocol.FrameError && !contains(types, protocol.FrameError) {
				c.t.Fatalf("error frame while waiting for %v: %+v", types, f.Error)
			}
			c.pending = append(c.pending, f)
		case <-deadline:
			c.t.Fatalf("no %v frame within 10 s", types)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// messagesUntil collects message frames (of chatID) until pred holds for
// one of them.
func (c *client) messagesUntil(chatID string, pred func(protocol.ChatMessage) bool) []protocol.ChatMessage {
	c.t.Helper()
	var out []protocol.ChatMessage
	for {
		f := c.next(protocol.FrameMessage)
		if chatID != "" && f.ChatID != chatID {
			continue
		}
		out = append(out, *f.Message)
		c.seen = append(c.seen, *f.Message)
		if pred(*f.Message) {
			return out
		}
	}
}

func visitor(t *testing.T, n *node, chatID, secret string, after int64) *client {
	t.Helper()
	c := dial(t, n, "/chat/ws", nil)
	c.send(protocol.Frame{Type: protocol.FrameHello, ChatID: chatID, ResumeSecret: secret, AfterSeq: after})
	f := c.next(protocol.FrameReady, protocol.FrameError)
	if f.Type != protocol.FrameReady {
		t.Fatalf("hello refused: %+v", f.Error)
	}
	return c
}

func agentClient(t *testing.T, n *node, token string) *client {
	t.Helper()
	c := dial(t, n, "/agent/ws", http.Header{"Authorization": {"Bearer " + token}})
	c.next(protocol.FrameReady)
	return c
}

// checkSeqs fails unless msgs are seqs from..from+len-1 exactly once, in order.
func checkSeqs(t *testing.T, msgs []protocol.ChatMessage, from int64) {
	t.Helper()
	for i, m := range msgs {
		if m.Seq != from+int64(i) {
			seqs := make([]int64, len(msgs))
			for j := range msgs {
				seqs[j] = msgs[j].Seq
			}
			t.Fatalf("seqs %v: want consecutive from %d", seqs, from)
		}
	}
}

// flowTicket has chat resp's visitor ask the demo flow for a ticket (a
// technical problem: the printer is on fire), waits until the chat ends
// with it, and returns the chat's one ticket.
func (n *node) flowTicket(t *testing.T, resp *protocol.StartChatResponse) store.Ticket {
	t.Helper()
	c := visitor(t, n, resp.ChatID, resp.ResumeSecret, resp.Chat.LastSeq)
	choose(c, "c1", 1) // A technical problem
	c.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Prompt != nil && m.Step == demo.StepAskProblem })
	sendText(c, "c2", "The printer is on fire")
	c.messagesUntil(resp.ChatID, isEnd)
	tickets, err := n.e.st.ListTickets(context.Background(), store.TicketFilter{ChatID: resp.ChatID})
	if err != nil || len(tickets) != 1 {
		t.Fatalf("tickets %v, %v", tickets, err)
	}
	return tickets[0]
}

// forEachDB runs fn on SQLite and (when configured) PostgreSQL in parallel.
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) { fn(t, newEnv(t, dsn)) })
}

// saveFlow stores f as a new flow and points a new profile at it.
func (e *env) profileWithFlow(f *flow.Flow, mutate func(*store.ChatProfile)) *store.ChatProfile {
	t := e.t
	t.Helper()
	ctx := context.Background()
	defs, err := e.st.ListCustomFields(ctx, store.EntityChat)
	if err != nil {
		t.Fatal(err)
	}
	sc := flow.SchemaOf(defs)
	if err := f.Validate(sc); err != nil {
		t.Fatal(err)
	}
	fl := storetest.SaveFlow(t, e.st, f, sc)
	base, _ := e.st.GetProfile(ctx, e.demo.Profile.ID)
	p := &store.ChatProfile{Name: "p-" + f.Name, Access: store.AccessPortalAndExternal, FlowID: fl.ID, TicketTypeID: base.TicketTypeID}
	if mutate != nil {
		mutate(p)
	}
	if err := e.st.CreateProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func sendText(c *client, id, text string) protocol.Frame {
	c.send(protocol.Frame{Type: protocol.FrameSend, ClientMsgID: id, Text: text})
	return c.next(protocol.FrameAck, protocol.FrameError)
}

// queuedVisitor starts a chat on n (the demo flow), connects its
// visitor, who asks for a person (the menu's third option, client message
// id id), and returns once the chat is queued for an agent.
func queuedVisitor(t *testing.T, n *node, id string) (*protocol.StartChatResponse, *client) {
	t.Helper()
	resp := n.mustStart(protocol.StartChatRequest{})
	v := visitor(t, n, resp.ChatID, resp.ResumeSecret, resp.Chat.LastSeq)
	choose(v, id, 2) // Talk to a person
	v.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Event == protocol.EventQueued })
	return resp, v
}

func choose(c *client, id string, i int) protocol.Frame {
	c.send(protocol.Frame{Type: protocol.FrameSend, ClientMsgID: id, Choice: &i})
	return c.next(protocol.FrameAck, protocol.FrameError)
}

// waitSubscribed waits until the node's broker has a chat subscriber
// (a long-poll has started waiting).
func waitSubscribed(t *testing.T, n *node) {
	t.Helper()
	l, ok := n.broker.(interface{ Topics() []string })
	if !ok {
		time.Sleep(200 * time.Millisecond)
		return
	}
	for range 500 {
		if len(l.Topics()) > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no subscriber")
}
