package securitytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
)

// A visitor who knows one chat (its id and resume secret) reads nothing of
// another: not with the other's id and their own secret, not with a
// guessed secret; over HTTP long-poll, the websocket, upgrade, end or rating.
func TestAVisitorCannotReachAnotherChat(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		mine, mySecret := s.startChat()
		theirs, theirSecret := s.startChat()
		if r := s.send(theirs, theirSecret, "my account number is 1234"); r.status != http.StatusOK {
			t.Fatalf("send: %d %s", r.status, r.body)
		}
		for _, secret := range []string{mySecret, mySecret[:len(mySecret)-1] + "x", "", theirs} {
			for _, call := range []struct{ method, path string }{
				{"GET", "/chat/api/v1/chats/" + theirs + "/messages?after=0"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/messages"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/typing"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/end"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/upgrade"},
				{"POST", "/chat/api/v1/chats/" + theirs + "/rating"},
			} {
				r := s.widget(call.method, call.path, []byte(`{"clientMsgId":"x","text":"hi","typing":true,"id_token":"x"}`),
					protocol.HeaderResumeSecret, secret)
				code, _, _ := r.apiError()
				if r.status != http.StatusNotFound || code != protocol.CodeChatNotFound || strings.Contains(string(r.body), "1234") {
					t.Errorf("%s %s with secret %q: %d %s", call.method, call.path, secret, r.status, r.body)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ws := s.dialVisitor(ctx, t, theirs, secret)
			_, data, err := ws.Read(ctx)
			var f protocol.Frame
			if err != nil || json.Unmarshal(data, &f) != nil || f.Error == nil || f.Error.Code != protocol.CodeChatNotFound {
				t.Errorf("websocket hello to another chat with secret %q: %s %v", secret, data, err)
			}
			ws.CloseNow()
			cancel()
		}
		// A resume of another chat in a start request does not hand it over.
		r := s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{ConfigID: s.demo.Profile.ID,
			ConfigKey: s.demo.Profile.Key, HostOrigin: "https://host.example", PreviousChatID: theirs, ResumeSecret: mySecret}))
		var resp protocol.StartChatResponse
		if err := json.Unmarshal(r.body, &resp); err != nil || resp.ChatID == theirs || strings.Contains(string(r.body), "1234") {
			t.Errorf("start resuming another chat with my secret: %d %s", r.status, r.body)
		}
		_ = mine
	})
}

// The widget page may be framed only by the profile's allowed origins
// (docs/CONTRACT.md#profile-access); by any page when the profile has no list.
func TestWidgetPageFrameAncestors(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		for _, tc := range []struct{ query, want string }{
			{"?configId=" + s.restricted.ID, "frame-ancestors 'self' https://shop.example"}, // 'self': the portal page
			{"?configId=" + s.demo.Profile.ID, "frame-ancestors *"},
			{"?configId=nosuch", "frame-ancestors *"},
			{"", "frame-ancestors *"},
		} {
			r := s.do("GET", "/chat/widget/"+tc.query, nil)
			csp := r.header.Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, tc.want) {
				t.Errorf("widget page %s: %d, CSP %q, want it to end with %q", tc.query, r.status, csp, tc.want)
			}
		}
	})
}

// Hostile text a visitor sends is stored and answered as the very same
// text, inside JSON, never as markup.
func TestHostileTextStaysText(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		chat, secret := s.startChat()
		for _, text := range []string{htmlText, sqlText, "\u202eevil\u200b", `"}]}{"x":"`} {
			if r := s.send(chat, secret, text); r.status != http.StatusOK {
				t.Fatalf("send %q: %d %s", text, r.status, r.body)
			}
		}
		r := s.widget("GET", "/chat/api/v1/chats/"+chat+"/messages?after=0", nil, protocol.HeaderResumeSecret, secret)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("messages served as %q", ct)
		}
		var poll protocol.PollResponse
		if err := json.Unmarshal(r.body, &poll); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range poll.Messages {
			if m.From == protocol.FromVisitor {
				seen[m.Text] = true
			}
		}
		for _, text := range []string{htmlText, sqlText, "\u202eevil\u200b", `"}]}{"x":"`} {
			if !seen[text] {
				t.Errorf("%q did not come back as itself: %s", text, r.body)
			}
		}
		if strings.Contains(string(r.body), "<script>") {
			t.Errorf("markup in the JSON answer is not escaped: %s", r.body)
		}
	})
}

// Secrets, keys, passwords and tokens never reach the log, whatever the
// request did with them (success or refusal).
func TestSecretsNeverLogged(t *testing.T) {
	forEachDB(t, service.Limits{}, func(t *testing.T, s *server) {
		d := s.demo
		admin, agent, client := s.login(d.Admin), s.login(d.Agent), s.clientToken()
		secrets := []string{d.Admin.Password, d.Agent.Password, d.APIClient.ClientSecret, d.Identity.HS256Secret,
			d.Identity.ExampleToken, d.Profile.Key, s.restricted.Key, admin, agent, client}

		// Chats: anonymous, with an identity token, with matching data.
		chat, secret := s.startChat()
		secrets = append(secrets, secret)
		r := s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{ConfigID: d.Profile.ID,
			ConfigKey: d.Profile.Key, HostOrigin: "https://host.example", IDToken: d.Identity.ExampleToken}))
		if r.status != http.StatusCreated {
			t.Fatalf("start with a token: %d %s", r.status, r.body)
		}
		var started protocol.StartChatResponse
		_ = json.Unmarshal(r.body, &started)
		secrets = append(secrets, started.ResumeSecret)
		r = s.do("POST", "/api/ChatMatchingData", []byte(`[{"json_content":{"firstname":"Ann","email":"ann@example.com"},"single_use":true}]`),
			"Authorization", "Bearer "+client, "Content-Type", "application/json")
		var made []struct{ GUID, Key string }
		if err := json.Unmarshal(r.body, &made); err != nil || len(made) != 1 {
			t.Fatalf("matching data: %d %s", r.status, r.body)
		}
		mtok, err := demo.SignIdentityToken(d.Identity.HS256Secret, d.Identity.KID, map[string]any{
			"chatmatchingdataguid": made[0].GUID, "chatmatchingdatakey": made[0].Key, "exp": time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, made[0].Key, mtok)
		for range 2 { // the second use of single-use data is refused
			s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{ConfigID: d.Profile.ID,
				ConfigKey: d.Profile.Key, HostOrigin: "https://host.example", IDToken: mtok}))
		}
		// Upgrade, long-poll, websocket, refusals carrying secrets.
		s.widget("POST", "/chat/api/v1/chats/"+chat+"/upgrade", mustJSON(map[string]string{"id_token": d.Identity.ExampleToken}),
			protocol.HeaderResumeSecret, secret)
		s.send(chat, secret, "hello")
		s.widget("GET", "/chat/api/v1/chats/"+chat+"/messages?after=0&secret="+secret, nil, protocol.HeaderResumeSecret, secret)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws := s.dialVisitor(ctx, t, chat, secret)
		_, _, _ = ws.Read(ctx)
		ws.Close(websocket.StatusNormalClosure, "")
		s.do("POST", "/auth/login", mustJSON(map[string]string{"email": d.Admin.Email, "password": d.Admin.Password + "x"}), "Content-Type", "application/json")
		s.do("POST", "/auth/token", []byte("grant_type=client_credentials&client_id="+d.APIClient.ClientID+"&client_secret="+d.APIClient.ClientSecret+"x"),
			"Content-Type", "application/x-www-form-urlencoded")
		s.do("GET", "/api/ChatProfile?token="+admin, nil, "Authorization", "Bearer "+admin+"x")
		s.do("GET", "/api/ChatProfile/"+d.Profile.ID, nil, "Authorization", "Bearer "+admin)
		s.do("POST", "/auth/logout", nil, "Authorization", "Bearer "+agent)

		logs := s.logs.String()
		if !strings.Contains(logs, `"path":"/chat/api/v1/start"`) {
			t.Fatalf("the requests were not logged at all:\n%s", logs)
		}
		for _, sec := range secrets {
			if sec == "" {
				t.Fatal("an empty secret in the list")
			}
			if strings.Contains(logs, sec) {
				t.Errorf("a secret (%.6s…) is in the log", sec)
			}
		}
	})
}

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

// newAgent creates an account through the admin API (as admin, a session
// token) and returns its id and login.
func (s *server) newAgent(t *testing.T, admin, email, role string) (int64, demo.Login) {
	t.Helper()
	l := demo.Login{Email: email, Password: "password-" + email, Name: "Agent " + email, Role: role}
	r := s.do("POST", "/api/Agent", mustJSON(protocol.AgentInput{Agent: protocol.Agent{Email: l.Email, Name: l.Name, Role: role},
		Password: l.Password}), append(bearer(admin), "Content-Type", "application/json")...)
	var a protocol.Agent
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &a) != nil {
		t.Fatalf("create agent %s: %d %s", email, r.status, r.body)
	}
	return a.ID, l
}

// putAgent sends PUT /api/Agent/{id} as admin: the account's fields as
// they are, with disabled and a password (empty: none) as given.
func (s *server) putAgent(admin string, id int64, l demo.Login, disabled bool, password string) response {
	in := protocol.AgentInput{Agent: protocol.Agent{ID: id, Email: l.Email, Name: l.Name, Role: l.Role, Disabled: disabled}, Password: password}
	return s.do("PUT", fmt.Sprintf("/api/Agent/%d", id), mustJSON(in), append(bearer(admin), "Content-Type", "application/json")...)
}

// dialAgent opens /agent/ws with header: the socket and nil once its
// ready frame came, or the refused upgrade's status.
func (s *server) dialAgent(t *testing.T, header http.Header) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/agent/ws", &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial /agent/ws: %v", err)
		}
		return nil, resp.StatusCode
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("agent socket: no ready frame: %v", err)
		}
		var f protocol.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("agent socket: frame %s: %v", data, err)
		}
		if f.Type == protocol.FrameReady {
			return ws, http.StatusSwitchingProtocols
		}
	}
}

// closeOf reads the socket until it closes, within the time given: the
// close status and reason, and the code of the last error frame.
func closeOf(t *testing.T, ws *websocket.Conn, within time.Duration) (websocket.StatusCode, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	code := ""
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("the socket is still open after %v", within)
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("the socket ended without a close frame: %v", err)
			}
			return ce.Code, ce.Reason, code
		}
		var f protocol.Frame
		if json.Unmarshal(data, &f) == nil && f.Error != nil {
			code = f.Error.Code
		}
	}
}

// The agent socket takes only the service's own origin: an agent's
// SameSite=Strict cookie still rides along from any page of the same site
// (another port of the host, a sibling subdomain), which must not get a
// socket that reads every chat and sends as the agent. A client without
// an Origin is no browser, so no page is riding on it: it holds the
// credential itself (the visitor socket's rule).
func TestAgentSocketNeedsTheServiceOrigin(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		tok := s.login(s.demo.Agent)
		cookie := auth.SessionCookie + "=" + tok
		samePort := strings.TrimPrefix(s.url, "http://")
		for _, tc := range []struct {
			name   string
			header http.Header
			status int
		}{
			{"cookie, a foreign origin", http.Header{"Cookie": {cookie}, "Origin": {"http://evil.test"}}, http.StatusForbidden},
			{"cookie, another port of the same host", http.Header{"Cookie": {cookie}, "Origin": {"http://127.0.0.1:1"}}, http.StatusForbidden},
			{"cookie, a sibling subdomain", http.Header{"Cookie": {cookie}, "Origin": {"http://other.localhost"}}, http.StatusForbidden},
			{"cookie, the same host over https", http.Header{"Cookie": {cookie}, "Origin": {"https://" + samePort}}, http.StatusForbidden},
			{"cookie, Origin null", http.Header{"Cookie": {cookie}, "Origin": {"null"}}, http.StatusForbidden},
			{"bearer, a foreign origin", http.Header{"Authorization": {"Bearer " + tok}, "Origin": {"http://evil.test"}}, http.StatusForbidden},
			{"cookie, the service's origin", http.Header{"Cookie": {cookie}, "Origin": {s.url}}, http.StatusSwitchingProtocols},
			{"bearer, no Origin (not a browser)", http.Header{"Authorization": {"Bearer " + tok}}, http.StatusSwitchingProtocols},
			{"cookie, no Origin (not a browser)", http.Header{"Cookie": {cookie}}, http.StatusSwitchingProtocols},
		} {
			ws, status := s.dialAgent(t, tc.header)
			if status != tc.status {
				t.Errorf("%s: %d, want %d", tc.name, status, tc.status)
			}
			if ws != nil {
				ws.CloseNow()
			}
		}
	})
}

// Ending an agent's session (logout), disabling the agent (DELETE, or PUT
// disabled) or setting a new password (PUT with a password) closes the
// agent's open sockets at once, with a close reason that says why; the
// ended sessions are refused everywhere after.
func TestRevokedAgentSocketsClose(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		for i, tc := range []struct {
			name   string
			revoke func(id int64, l demo.Login, token string) response
			reason string // a word of the close reason
			others bool   // the agent's other sessions end too
		}{
			{"POST /auth/logout", func(_ int64, _ demo.Login, tok string) response {
				return s.do("POST", "/auth/logout", nil, bearer(tok)...)
			}, "session", false},
			{"DELETE /api/Agent/{id}", func(id int64, _ demo.Login, _ string) response {
				return s.do("DELETE", fmt.Sprintf("/api/Agent/%d", id), nil, bearer(admin)...)
			}, "disabled", true},
			{"PUT /api/Agent/{id} disabled", func(id int64, l demo.Login, _ string) response {
				return s.putAgent(admin, id, l, true, "")
			}, "disabled", true},
			{"PUT /api/Agent/{id} with a new password", func(id int64, l demo.Login, _ string) response {
				return s.putAgent(admin, id, l, false, "a-new-password-42")
			}, "session", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id, l := s.newAgent(t, admin, fmt.Sprintf("revoked%d@example.test", i), store.RoleAgent)
				tok, other := s.login(l), s.login(l)
				ws, _ := s.dialAgent(t, http.Header{"Authorization": {"Bearer " + tok}})
				if r := tc.revoke(id, l, tok); r.status/100 != 2 {
					t.Fatalf("revoke: %d %s", r.status, r.body)
				}
				code, reason, frame := closeOf(t, ws, 5*time.Second)
				if code != websocket.StatusPolicyViolation || !strings.Contains(reason, tc.reason) || frame != protocol.CodeUnauthorized {
					t.Fatalf("closed with %d %q after an error frame %q; want %d naming %q after %q",
						code, reason, frame, websocket.StatusPolicyViolation, tc.reason, protocol.CodeUnauthorized)
				}
				if r := s.do("GET", "/auth/me", nil, bearer(tok)...); r.status != http.StatusUnauthorized {
					t.Errorf("the ended session still answers /auth/me: %d", r.status)
				}
				if _, status := s.dialAgent(t, http.Header{"Authorization": {"Bearer " + tok}}); status != http.StatusUnauthorized {
					t.Errorf("the ended session still opens a socket: %d", status)
				}
				want := http.StatusOK
				if tc.others {
					want = http.StatusUnauthorized
				}
				if r := s.do("GET", "/auth/me", nil, bearer(other)...); r.status != want {
					t.Errorf("the agent's other session answers /auth/me %d, want %d", r.status, want)
				}
			})
		}
	})
}

// A new password ends the account's other sessions (as a portal user's
// does): an admin setting another agent's password ends all of theirs; an
// admin setting their own keeps the session that set it.
func TestAPasswordResetEndsTheOtherSessions(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		id, l := s.newAgent(t, admin, "reset@example.test", store.RoleAgent)
		a1, a2 := s.login(l), s.login(l)
		if r := s.putAgent(admin, id, l, false, "the-new-password-1"); r.status != http.StatusOK {
			t.Fatalf("PUT password: %d %s", r.status, r.body)
		}
		for _, tok := range []string{a1, a2} {
			if r := s.do("GET", "/auth/me", nil, bearer(tok)...); r.status != http.StatusUnauthorized {
				t.Errorf("an agent's session outlives their password reset: /auth/me %d", r.status)
			}
		}

		selfID, self := s.newAgent(t, admin, "self@example.test", store.RoleAdmin)
		mine, theirs := s.login(self), s.login(self)
		if r := s.putAgent(mine, selfID, self, false, "my-own-new-password"); r.status != http.StatusOK {
			t.Fatalf("PUT own password: %d %s", r.status, r.body)
		}
		if r := s.do("GET", "/auth/me", nil, bearer(mine)...); r.status != http.StatusOK {
			t.Errorf("the session that set the password was ended: /auth/me %d", r.status)
		}
		if r := s.do("GET", "/auth/me", nil, bearer(theirs)...); r.status != http.StatusUnauthorized {
			t.Errorf("another session outlives the own password change: /auth/me %d", r.status)
		}
	})
}
