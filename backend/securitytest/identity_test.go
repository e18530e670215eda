package securitytest

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// token signs claims with the demo profile's key (the extra profiles of
// the harness share it), adding exp an hour ahead unless claims has one;
// header entries are added to the JOSE header.
func (s *server) token(claims map[string]any, header map[string]any) string {
	s.t.Helper()
	h := map[string]any{"kid": s.demo.Identity.KID}
	maps.Copy(h, header)
	return testenv.IDToken(s.t, s.demo.Identity.HS256Secret, h, claims)
}

// startWith starts a chat on p from origin with an identity token, and
// optionally the browser's previous chat (id, resume secret).
func (s *server) startWith(p *store.ChatProfile, origin, idToken string, edit ...func(*protocol.StartChatRequest)) response {
	s.t.Helper()
	req := protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key, HostOrigin: origin, IDToken: idToken}
	for _, e := range edit {
		e(&req)
	}
	return s.widget("POST", "/chat/api/v1/start", mustJSON(req))
}

func (s *server) demoProfile() *store.ChatProfile {
	return &store.ChatProfile{ID: s.demo.Profile.ID, Key: s.demo.Profile.Key}
}

// wantStatus fails unless r has status, and returns its StartChatResponse
// when it is one.
func wantStatus(t *testing.T, what string, r response, status int) protocol.StartChatResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
	}
	var out protocol.StartChatResponse
	_ = json.Unmarshal(r.body, &out)
	return out
}

// wantRefused fails unless r is 401 invalid_token saying says.
func wantRefused(t *testing.T, what string, r response, says string) {
	t.Helper()
	code, msg, _ := r.apiError()
	if r.status != http.StatusUnauthorized || code != protocol.CodeInvalidToken || !strings.Contains(msg, says) {
		t.Errorf("%s: %d %s, want 401 invalid_token saying %q", what, r.status, r.body, says)
	}
}

// An identity token has a bounded lifetime (the profile's maximum, a day
// unless set), and a token whose JWS header lists critical extensions
// (crit, RFC 7515 §4.1.11) is refused: this service understands none.
func TestIdentityTokenLifetimeAndCritHeader(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		p, now := s.demoProfile(), time.Now()
		wantStatus(t, "a token valid for an hour", s.startWith(p, "https://host.example",
			s.token(map[string]any{"sub": "life-1", "iat": now.Unix()}, nil)), http.StatusCreated)
		wantStatus(t, "a token valid for a day from its iat", s.startWith(p, "https://host.example",
			s.token(map[string]any{"sub": "life-2", "iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix()}, nil)), http.StatusCreated)
		wantRefused(t, "exp in the year 9999", s.startWith(p, "https://host.example",
			s.token(map[string]any{"sub": "life-3", "exp": 253402300799}, nil)), "lifetime")
		wantRefused(t, "exp in the year 9999 with an iat", s.startWith(p, "https://host.example",
			s.token(map[string]any{"sub": "life-3", "iat": now.Unix(), "exp": 253402300799}, nil)), "lifetime")
		wantRefused(t, "exp a day and a minute past iat", s.startWith(p, "https://host.example",
			s.token(map[string]any{"sub": "life-4", "iat": now.Add(-time.Hour).Unix(), "exp": now.Add(23*time.Hour + time.Minute).Unix()}, nil)), "lifetime")
		for _, crit := range []any{[]string{"exp"}, []string{"b64"}, []string{}, "exp"} {
			wantRefused(t, "crit header", s.startWith(p, "https://host.example",
				s.token(map[string]any{"sub": "crit-1"}, map[string]any{"crit": crit})), "crit")
		}
		// The same through upgrade and the portal's token login.
		chat, secret := s.startChat()
		r := s.widget("POST", "/chat/api/v1/chats/"+chat+"/upgrade",
			mustJSON(map[string]string{"id_token": s.token(map[string]any{"sub": "life-5", "exp": 253402300799}, nil)}),
			protocol.HeaderResumeSecret, secret)
		wantRefused(t, "upgrade with exp in the year 9999", r, "lifetime")
		r = s.do("POST", "/portal/api/login/token", mustJSON(map[string]string{"profileId": s.portal.ID,
			"id_token": s.token(map[string]any{"sub": "life-6", "email": "life6@example.com"}, map[string]any{"crit": []string{"exp"}})}),
			"Content-Type", "application/json")
		wantRefused(t, "portal login with a crit header", r, "crit")
	})
}

// A token's jti is honoured once per profile within the token's lifetime:
// starting a chat, upgradeAnonChat and the portal's token login each use
// it up; resuming one's own chat with it (a page reload) does not; a
// token refused for another reason keeps it; of concurrent replays
// exactly one wins.
func TestIdentityTokenReplay(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		p := s.demoProfile()
		const host = "https://host.example"
		t1 := s.token(map[string]any{"sub": "replay-1", "jti": "jti-1"}, nil)
		first := wantStatus(t, "first start", s.startWith(p, host, t1), http.StatusCreated)
		wantRefused(t, "the same token starting another chat", s.startWith(p, host, t1), "already been used")
		// A reload resumes the chat it started: no second use.
		again := wantStatus(t, "reload", s.startWith(p, host, t1, func(q *protocol.StartChatRequest) {
			q.PreviousChatID, q.ResumeSecret = first.ChatID, first.ResumeSecret
		}), http.StatusOK)
		if !again.Resumed || again.ChatID != first.ChatID {
			t.Errorf("reload: resumed %v chat %s, want %s resumed", again.Resumed, again.ChatID, first.ChatID)
		}
		// Per profile: the restricted profile has not seen jti-1.
		wantStatus(t, "the same jti on another profile", s.startWith(s.restricted, "https://shop.example", t1), http.StatusCreated)

		// upgradeAnonChat uses it up too, and a token a start used is used.
		chat, secret := s.startChat()
		upgrade := func(chat, secret, tok string) response {
			return s.widget("POST", "/chat/api/v1/chats/"+chat+"/upgrade", mustJSON(map[string]string{"id_token": tok}),
				protocol.HeaderResumeSecret, secret)
		}
		wantRefused(t, "upgrade with a token a start used", upgrade(chat, secret, t1), "already been used")
		t2 := s.token(map[string]any{"sub": "replay-2", "jti": "jti-2"}, nil)
		if r := upgrade(chat, secret, t2); r.status != http.StatusOK {
			t.Fatalf("upgrade: %d %s", r.status, r.body)
		}
		chat2, secret2 := s.startChat()
		wantRefused(t, "the same token upgrading another chat", upgrade(chat2, secret2, t2), "already been used")
		wantRefused(t, "a start with a token an upgrade used", s.startWith(p, host, t2), "already been used")

		// Refused for another reason: the jti stays unused.
		t3 := s.token(map[string]any{"sub": "replay-3", "jti": "jti-3"}, nil)
		r := s.startWith(p, host, t3, func(q *protocol.StartChatRequest) { q.StartStepOverride = demo.StepAskEmail })
		if code, _, _ := r.apiError(); code != protocol.CodeStartStepNotAllowed {
			t.Fatalf("start at a step not allowed: %d %s", r.status, r.body)
		}
		wantStatus(t, "the token after a refused start step", s.startWith(p, host, t3), http.StatusCreated)

		// The portal's token login.
		login := func(tok string) response {
			return s.do("POST", "/portal/api/login/token", mustJSON(map[string]string{"profileId": s.portal.ID, "id_token": tok}),
				"Content-Type", "application/json")
		}
		t4 := s.token(map[string]any{"sub": "replay-4", "email": "replay4@example.com", "jti": "jti-4"}, nil)
		if r := login(t4); r.status != http.StatusOK {
			t.Fatalf("portal token login: %d %s", r.status, r.body)
		}
		wantRefused(t, "the same portal token login", login(t4), "already been used")
		// A disabled account's login is refused without using the jti.
		t5 := s.token(map[string]any{"sub": "replay-4", "email": "replay4@example.com", "jti": "jti-5"}, nil)
		u, err := s.st.GetUserByExternalID(t.Context(), "replay-4")
		if err != nil {
			t.Fatal(err)
		}
		u.Disabled = true
		if err := s.st.UpdateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		if r := login(t5); r.status != http.StatusForbidden {
			t.Fatalf("a disabled user's token login: %d %s", r.status, r.body)
		}
		u.Disabled = false
		if err := s.st.UpdateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		if r := login(t5); r.status != http.StatusOK {
			t.Fatalf("the token after the account was enabled again: %d %s", r.status, r.body)
		}

		// Concurrent replays: exactly one start wins.
		t6 := s.token(map[string]any{"sub": "replay-6", "jti": "jti-6"}, nil)
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for range 8 {
			wg.Go(func() {
				r := s.widget("POST", "/chat/api/v1/start", mustJSON(protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key,
					HostOrigin: host, IDToken: t6}))
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[http.StatusCreated] != 1 || statuses[http.StatusUnauthorized] != 7 {
			t.Errorf("8 concurrent starts with one token: %v, want one 201 and seven 401", statuses)
		}
	})
}

// An e-mail hint (the value of the profile's sessionStorage key, which
// any visitor can set) never authenticates anyone, even on a profile
// that trusts it: an anonymous start hinting a portal user's, a token
// user's or an agent's address is not their chat, is not greeted by
// their stored name, shows none of their stored data, and its ticket
// does not reach their portal list. The hint stays what it is: an
// unverified e-mail the agent sees in the details panel.
func TestEmailHintNeverAuthenticates(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		ctx := context.Background()
		p, err := s.st.GetProfile(ctx, s.demo.Profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.EmailStorageKey, p.TrustEmailStorage = "shopUserEmail", true
		if err := s.st.UpdateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		// A user a token named, with a name and an external id.
		tok, err := demo.SignIdentityToken(s.demo.Identity.HS256Secret, demo.IdentityKID, map[string]any{
			"sub": "crm-7", "email": "terry@shop.example", "given_name": "Terry", "family_name": "Token",
			"exp": time.Now().Add(5 * time.Minute).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "a token start", s.startWith(s.demoProfile(), "https://host.example", tok), http.StatusCreated)
		portal, err := s.st.GetUserByEmail(ctx, demo.PortalEmail)
		if err != nil {
			t.Fatal(err)
		}
		terry, err := s.st.GetUserByEmail(ctx, "terry@shop.example")
		if err != nil {
			t.Fatal(err)
		}
		agent := s.login(s.demo.Agent)

		for _, tc := range []struct {
			whose, hint string
			user        *store.User // nil: an agent's address
			name        string      // stored, never to be shown
		}{
			{"a portal user's", demo.PortalEmail, portal, portal.FirstName},
			{"a token user's", "Terry@Shop.Example", terry, "Terry"},
			{"an agent's", s.demo.Agent.Email, nil, "Alex"},
		} {
			r := s.startWith(s.demoProfile(), "https://host.example", "", func(req *protocol.StartChatRequest) { req.EmailHint = tc.hint })
			started := wantStatus(t, "a start hinting "+tc.whose+" address", r, http.StatusCreated)
			if started.Chat.Authenticated {
				t.Errorf("hinting %s address: the chat is authenticated", tc.whose)
			}
			if started.Chat.UserName != "" || strings.Contains(string(r.body), tc.name) {
				t.Errorf("hinting %s address: the visitor sees the stored name %q: %s", tc.whose, tc.name, r.body)
			}
			c, err := s.st.GetChat(ctx, started.ChatID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.user != nil && c.UserID == tc.user.ID {
				t.Errorf("hinting %s address: the chat is theirs (user %d)", tc.whose, c.UserID)
			}
			var d struct { // protocol.ChatDetails, as the API answers it
				UnverifiedEmail string             `json:"unverifiedEmail"`
				User            *protocol.ChatUser `json:"user"`
			}
			dr := s.do("GET", "/api/Chat/"+started.ChatID+"/details", nil, "Authorization", "Bearer "+agent)
			if dr.status != http.StatusOK || json.Unmarshal(dr.body, &d) != nil {
				t.Fatalf("details: %d %s", dr.status, dr.body)
			}
			if d.UnverifiedEmail != store.NormalizeEmail(tc.hint) || (d.User != nil && d.User.Email != "") {
				t.Errorf("hinting %s address: the details panel shows unverified e-mail %q and user %+v; want the hint, unverified, and no user's address",
					tc.whose, d.UnverifiedEmail, d.User)
			}
		}

		// The portal user's ticket list gets nothing from a chat hinting
		// their address, down to its ticket.
		r := s.startWith(s.demoProfile(), "https://host.example", "", func(req *protocol.StartChatRequest) { req.EmailHint = demo.PortalEmail })
		started := wantStatus(t, "a start hinting the portal user's address", r, http.StatusCreated)
		billing := 0
		for i, req := range []protocol.SendRequest{{Choice: &billing}, {Text: demo.PortalEmail}, {Text: "refund me"}} {
			req.ClientMsgID = string(rune('a' + i))
			if sr := s.widget("POST", "/chat/api/v1/chats/"+started.ChatID+"/messages", mustJSON(req),
				protocol.HeaderResumeSecret, started.ResumeSecret); sr.status >= 300 {
				t.Fatalf("send %d: %d %s", i, sr.status, sr.body)
			}
		}
		if c, err := s.st.GetChat(ctx, started.ChatID); err != nil || c.TicketID == 0 {
			t.Fatalf("the chat logged no ticket: %+v %v", c, err)
		}
		if list, err := s.st.ListPortalTickets(ctx, portal.ID, store.Page{}); err != nil || len(list) != 0 {
			t.Errorf("the portal user's tickets after a chat hinting their address: %+v %v, want none", list, err)
		}
	})
}

// asAdmin sends an admin API request with the admin's session token.
func (s *server) asAdmin(admin, method, path string, body []byte) response {
	s.t.Helper()
	return s.do(method, path, body, "Authorization", "Bearer "+admin, "Content-Type", "application/json")
}

// startSignedBy starts a demo chat with a token signed by secret (kid
// "demo") and says whether the chat is authenticated; a refused token
// is false.
func (s *server) startSignedBy(secret string) bool {
	s.t.Helper()
	// A user of its own each time: a start for a user with an open chat
	// resumes it (200) rather than starting one.
	tok, err := demo.SignIdentityToken(secret, demo.IdentityKID, map[string]any{"sub": "crm-secret-probe-" + store.RandomID(4),
		"email": "probe@shop.example", "exp": time.Now().Add(5 * time.Minute).Unix()})
	if err != nil {
		s.t.Fatal(err)
	}
	r := s.startWith(s.demoProfile(), "https://host.example", tok)
	var out protocol.StartChatResponse
	return r.status == http.StatusCreated && json.Unmarshal(r.body, &out) == nil && out.Chat.Authenticated
}

// A profile's HS256 identity secrets are write-only, as API client
// secrets are: GET never answers them; create and
// POST /api/ChatProfile/{id}/identity/secret answer them once; a PUT
// takes new ones without echoing them and keeps the stored secret of a
// kid it sends without one (what the console sends back, having read
// none).
func TestProfileSecretsAreWriteOnly(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		id := s.demo.Profile.ID
		path := "/api/ChatProfile/" + id
		noSecret := func(what string, r response, status int, secrets ...string) {
			t.Helper()
			if r.status != status {
				t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
			}
			for _, sec := range secrets {
				if strings.Contains(string(r.body), sec) {
					t.Errorf("%s answers an HS256 secret: %s", what, r.body)
				}
			}
		}
		seeded := s.demo.Identity.HS256Secret
		noSecret("GET /api/ChatProfile", s.asAdmin(admin, "GET", "/api/ChatProfile", nil), 200, seeded)
		got := s.asAdmin(admin, "GET", path, nil)
		noSecret("GET /api/ChatProfile/{id}", got, 200, seeded)

		// The console's round trip: what GET answered, sent back.
		noSecret("PUT of the GET's answer", s.asAdmin(admin, "PUT", path, got.body), 200, seeded)
		if !s.startSignedBy(seeded) {
			t.Fatal("after a PUT without the secret, a token signed with the stored one is refused: the PUT wiped it")
		}

		// A PUT may set a secret; it is not echoed.
		var p protocol.ChatProfileInput
		if err := json.Unmarshal(got.body, &p); err != nil {
			t.Fatal(err)
		}
		set := "a-new-secret-of-more-than-32-bytes-for-kid-demo"
		p.Identity.HS256Secrets = []protocol.HMACSecret{{KID: demo.IdentityKID, Secret: set}}
		noSecret("PUT with a new secret", s.asAdmin(admin, "PUT", path, mustJSON(p)), 200, set)
		if !s.startSignedBy(set) || s.startSignedBy(seeded) {
			t.Fatal("after a PUT with a new secret: want the new secret to sign and the old one refused")
		}

		// Rotation answers the new secret, once.
		r := s.asAdmin(admin, "POST", path+"/identity/secret", mustJSON(map[string]string{"kid": demo.IdentityKID}))
		var rotated struct{ KID, Secret string }
		if r.status != 200 || json.Unmarshal(r.body, &rotated) != nil || len(rotated.Secret) < 32 || rotated.KID != demo.IdentityKID {
			t.Fatalf("POST %s/identity/secret: %d %s, want the new secret of kid %q", path, r.status, r.body, demo.IdentityKID)
		}
		noSecret("GET after a rotation", s.asAdmin(admin, "GET", path, nil), 200, rotated.Secret)
		if !s.startSignedBy(rotated.Secret) || s.startSignedBy(set) {
			t.Fatal("after a rotation: want the rotated secret to sign and the one before refused")
		}

		// A kid without a stored secret needs one.
		p.Identity.HS256Secrets = []protocol.HMACSecret{{KID: demo.IdentityKID}, {KID: "unknown"}}
		r = s.asAdmin(admin, "PUT", path, mustJSON(p))
		if code, msg, _ := r.apiError(); r.status != 400 || code != protocol.CodeInvalidRequest || !strings.Contains(msg, "identity.hs256Secrets[1].secret") {
			t.Errorf("PUT with a kid that has no secret: %d %s, want 400 naming identity.hs256Secrets[1].secret", r.status, r.body)
		}

		// Create answers the secrets it was given, that once.
		in := protocol.ChatProfileInput{ChatProfile: protocol.ChatProfile{Name: "write-only", Access: "portal_and_external",
			Identity: protocol.IdentitySettings{HS256Secrets: []protocol.HMACSecret{{KID: "w", Secret: set + "-created"}}}}}
		r = s.asAdmin(admin, "POST", "/api/ChatProfile", mustJSON(in))
		var created protocol.ChatProfile
		if r.status != 201 || json.Unmarshal(r.body, &created) != nil || len(created.Identity.HS256Secrets) != 1 ||
			created.Identity.HS256Secrets[0].Secret != set+"-created" {
			t.Fatalf("POST /api/ChatProfile: %d %s, want 201 with the secret given", r.status, r.body)
		}
		noSecret("GET of the created profile", s.asAdmin(admin, "GET", "/api/ChatProfile/"+created.ID, nil), 200, set+"-created")
	})
}
