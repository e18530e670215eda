package securitytest

import (
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
