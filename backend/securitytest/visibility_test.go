package securitytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
)

// visibilityProbe is one server's agents and chats for the visibility
// test: the demo agent holds a live chat, another chat waits in the
// queue, a third is still with the bot and a fourth ended in a ticket.
type visibilityProbe struct {
	s                      *server
	admin, holder, other   string // session tokens
	live, queued, bot, tkt string // chat ids
	ticket                 int64
}

// as sends a request with a session token.
func (p *visibilityProbe) as(token, method, path string, body []byte) response {
	p.s.t.Helper()
	return p.s.do(method, path, body, "Authorization", "Bearer "+token, "Content-Type", "application/json")
}

// chatTo starts a demo chat and sends it the given choices and answers
// (an int is a choice, a string an answer).
func (p *visibilityProbe) chatTo(steps ...any) string {
	p.s.t.Helper()
	id, sec := p.s.startChat()
	for i, st := range steps {
		req := protocol.SendRequest{ClientMsgID: fmt.Sprint("probe-", i)}
		switch v := st.(type) {
		case int:
			req.Choice = &v
		case string:
			req.Text = v
		}
		if r := p.s.widget("POST", "/chat/api/v1/chats/"+id+"/messages", mustJSON(req), protocol.HeaderResumeSecret, sec); r.status != http.StatusCreated && r.status != http.StatusOK {
			p.s.t.Fatalf("chat %s, step %d: %d %s", id, i, r.status, r.body)
		}
	}
	return id
}

func newVisibilityProbe(t *testing.T, s *server) *visibilityProbe {
	ctx := context.Background()
	p := &visibilityProbe{s: s, admin: s.login(s.demo.Admin), holder: s.login(s.demo.Agent)}
	other := demo.Login{Email: "blake@example.com", Password: "a long password for blake"}
	if r := p.as(p.admin, "POST", "/api/Agent", mustJSON(protocol.AgentInput{
		Agent: protocol.Agent{Email: other.Email, Name: "Blake", Role: store.RoleAgent}, Password: other.Password})); r.status != http.StatusCreated {
		t.Fatalf("create a second agent: %d %s", r.status, r.body)
	}
	p.other = s.login(other)
	holder, err := s.st.GetAgentByEmail(ctx, s.demo.Agent.Email)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.SetAgentPresence(ctx, holder.ID, store.PresenceOnline); err != nil { // so that transfers queue
		t.Fatal(err)
	}
	const talk, billing = 2, 0 // the demo menu's "Talk to a person" and "A billing question"
	p.live, p.queued, p.bot = p.chatTo(talk), p.chatTo(talk), p.chatTo()
	p.tkt = p.chatTo(billing, "pat@example.com", "my invoice is wrong")
	if r := p.as(p.holder, "POST", "/api/Chat/"+p.live+"/accept", nil); r.status != http.StatusOK {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	if r := p.as(p.holder, "POST", "/api/ChatMessage", mustJSON(protocol.AgentMessage{ChatID: p.live, ClientMsgID: "a1",
		Text: "the refund code is zebra-42"})); r.status != http.StatusCreated {
		t.Fatalf("agent message: %d %s", r.status, r.body)
	}
	c, err := s.st.GetChat(ctx, p.tkt)
	if err != nil || c.TicketID == 0 {
		t.Fatalf("the billing chat logged no ticket: %+v %v", c, err)
	}
	p.ticket = c.TicketID
	return p
}

// setVisibility sets the demo profile's agentChatVisibility through the
// admin API (its GET's answer, changed and sent back).
func (p *visibilityProbe) setVisibility(t *testing.T, v string) {
	t.Helper()
	path := "/api/ChatProfile/" + p.s.demo.Profile.ID
	var prof map[string]any
	if err := json.Unmarshal(p.as(p.admin, "GET", path, nil).body, &prof); err != nil {
		t.Fatal(err)
	}
	prof["agentChatVisibility"] = v
	if r := p.as(p.admin, "PUT", path, mustJSON(prof)); r.status != http.StatusOK {
		t.Errorf("set agentChatVisibility %s: %d %s", v, r.status, r.body)
	}
}

// listed returns the ids GET /api/Chat (with query) answers token.
func (p *visibilityProbe) listed(token, query string) []string {
	p.s.t.Helper()
	var out protocol.ChatList
	if r := p.as(token, "GET", "/api/Chat"+query, nil); r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
		p.s.t.Fatalf("GET /api/Chat%s: %d %s", query, r.status, r.body)
	}
	var ids []string
	for _, c := range out.Chats {
		ids = append(ids, c.ID)
	}
	return ids
}

// watch opens token's agent socket, watches chat and returns the first
// frame about it: a message or an error.
func (p *visibilityProbe) watch(t *testing.T, token, chat string) protocol.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.s.url, "http")+"/agent/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}, "Origin": {p.s.url}}})
	if err != nil {
		t.Fatalf("dial /agent/ws: %v", err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	if err := ws.Write(ctx, websocket.MessageText, mustJSON(protocol.Frame{V: protocol.ProtocolVersion, Type: protocol.FrameWatch, ChatID: chat})); err != nil {
		t.Fatal(err)
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("watch %s: no answer: %v", chat, err)
		}
		var f protocol.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		if f.Type == protocol.FrameError || (f.Type == protocol.FrameMessage && f.ChatID == chat) {
			return f
		}
	}
}

// Which chats an agent may read is the profile's agentChatVisibility:
// "all" (the default) lets every agent read every chat of the profile;
// "queueAndOwn" only its queued chats and those the agent holds or held,
// over REST (the chat, its details and messages, lists and search, its
// ticket) and the agent socket's watch. Admins read every chat.
func TestAgentChatVisibility(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		p := newVisibilityProbe(t, s)
		reads := func(chat string) []string {
			return []string{"/api/Chat/" + chat, "/api/Chat/" + chat + "/details", "/api/ChatMessage?chat_id=" + chat}
		}
		ticket := fmt.Sprint("/api/Tickets/", p.ticket)

		// The default reads as before: every agent, every chat.
		for _, path := range append(reads(p.live), ticket) {
			if r := p.as(p.other, "GET", path, nil); r.status != http.StatusOK {
				t.Errorf("agentChatVisibility all (the default): another agent's GET %s = %d %s, want 200", path, r.status, r.body)
			}
		}

		p.setVisibility(t, "queueAndOwn")
		for _, chat := range []string{p.live, p.bot, p.tkt} {
			for _, path := range reads(chat) {
				if r := p.as(p.other, "GET", path, nil); r.status != http.StatusForbidden {
					t.Errorf("queueAndOwn: another agent's GET %s = %d %s, want 403", path, r.status, r.body)
				} else if code, _, _ := r.apiError(); code != protocol.CodeForbidden {
					t.Errorf("queueAndOwn: another agent's GET %s: %s, want code forbidden", path, r.body)
				}
			}
		}
		if r := p.as(p.other, "GET", ticket, nil); r.status != http.StatusForbidden {
			t.Errorf("queueAndOwn: another agent's GET %s (the bot's ticket, with its transcript) = %d %s, want 403", ticket, r.status, r.body)
		}
		for _, path := range reads(p.queued) {
			if r := p.as(p.other, "GET", path, nil); r.status != http.StatusOK {
				t.Errorf("queueAndOwn: GET %s of a queued chat = %d %s, want 200", path, r.status, r.body)
			}
		}
		for _, tok := range []string{p.holder, p.admin} {
			for _, path := range reads(p.live) {
				if r := p.as(tok, "GET", path, nil); r.status != http.StatusOK {
					t.Errorf("queueAndOwn: GET %s by its agent or an admin = %d %s, want 200", path, r.status, r.body)
				}
			}
		}
		if r := p.as(p.admin, "GET", ticket, nil); r.status != http.StatusOK {
			t.Errorf("queueAndOwn: an admin's GET %s = %d, want 200", ticket, r.status)
		}
		if got := p.listed(p.other, ""); slices.Contains(got, p.live) || slices.Contains(got, p.bot) || !slices.Contains(got, p.queued) {
			t.Errorf("queueAndOwn: another agent's GET /api/Chat lists %v: want the queued %s, not the live %s or the bot's %s", got, p.queued, p.live, p.bot)
		}
		if got := p.listed(p.other, "?q=zebra-42"); len(got) != 0 {
			t.Errorf("queueAndOwn: another agent's search for a word of the live chat finds %v", got)
		}
		if got := p.listed(p.holder, "?q=zebra-42"); !slices.Equal(got, []string{p.live}) {
			t.Errorf("queueAndOwn: its agent's search finds %v, want [%s]", got, p.live)
		}
		var tickets protocol.TicketList
		_ = json.Unmarshal(p.as(p.other, "GET", "/api/Tickets", nil).body, &tickets)
		if slices.ContainsFunc(tickets.Tickets, func(tk protocol.Ticket) bool { return tk.ID == p.ticket }) {
			t.Errorf("queueAndOwn: another agent's GET /api/Tickets lists ticket %d", p.ticket)
		}
		if f := p.watch(t, p.other, p.live); f.Type != protocol.FrameError || f.Error == nil || f.Error.Code != protocol.CodeForbidden {
			t.Errorf("queueAndOwn: another agent watching the live chat gets %+v, want a forbidden error", f)
		}
		if f := p.watch(t, p.holder, p.live); f.Type != protocol.FrameMessage {
			t.Errorf("queueAndOwn: its agent watching gets %+v, want its messages", f)
		}

		p.setVisibility(t, "all")
		if r := p.as(p.other, "GET", "/api/Chat/"+p.live, nil); r.status != http.StatusOK {
			t.Errorf("back to all: another agent's GET = %d, want 200", r.status)
		}
	})
}
