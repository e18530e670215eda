package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/portal"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

const password = "portal password 1"

// fixture is the whole service on loopback over a demo store, with a
// portal user, a portal-only profile and an agents-only profile.
type fixture struct {
	st                     *store.Store
	base                   string
	demo                   *demo.Result
	ann                    *store.User
	portalOnly, agentsOnly *store.ChatProfile
	svc                    *loopback.Service
}

func newFixture(t *testing.T, dsn string, limits service.Limits) *fixture {
	t.Helper()
	ctx := context.Background()
	svc := loopback.Start(t, loopback.Options{DSN: dsn, Limits: limits})
	st, res := svc.Store, svc.Demo
	f := &fixture{st: st, base: svc.URL, demo: res, svc: svc}
	hash := storetest.PasswordHash(t, password)
	f.ann = &store.User{Email: "ann@portal.test", FirstName: "Ann", LastName: "Lee", PasswordHash: hash}
	for _, u := range []*store.User{f.ann,
		{Email: "off@portal.test", PasswordHash: hash, Disabled: true},
		{Email: "nopass@portal.test"}} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(name, access string) *store.ChatProfile {
		return storetest.DemoProfile(t, st, res, name, func(p *store.ChatProfile) { p.Access = access })
	}
	f.portalOnly, f.agentsOnly = mk("portal only", store.AccessPortal), mk("agents only", store.AccessAgentsOnly)
	return f
}

// browser is a client with a cookie jar, sending what the portal page
// and the widget send (the service's own Origin, JSON).
type browser struct {
	t   *testing.T
	c   *testenv.Client
	jar http.CookieJar
}

func (f *fixture) browser(t *testing.T) *browser {
	c := f.svc.Client("Origin", f.base).Browser().For(t)
	return &browser{t: t, c: c, jar: c.Jar()}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) errorText() (code, msg string) {
	var eb protocol.ErrorBody
	_ = json.Unmarshal(a.body, &eb)
	return eb.Error.Code, eb.Error.Message
}

func (b *browser) do(method, path string, body any, header ...string) answer {
	b.t.Helper()
	if body != nil {
		header = append([]string{"Content-Type", "application/json"}, header...)
	}
	r := b.c.Do(method, path, body, header...)
	return answer{status: r.Status, header: r.Header, body: r.Body}
}

func (b *browser) login(email, pass string) answer {
	return b.do("POST", "/portal/api/login", map[string]string{"email": email, "password": pass})
}

// token signs an identity token with the demo profile's HS256 secret.
func (f *fixture) token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	return storetest.DemoToken(t, f.demo, claims)
}

func TestPortalLogin(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, service.Unlimited())
		b := f.browser(t)

		for _, tc := range []struct {
			name   string
			body   any
			header []string
			status int
			code   string
			says   string
		}{
			{"empty body", "", nil, 400, "invalid_request", "JSON"},
			{"not an object", "[1]", nil, 400, "invalid_request", "JSON"},
			{"email a number", `{"email":5,"password":"x"}`, nil, 400, "invalid_request", "email"},
			{"unknown field", `{"email":"a@b.c","password":"x","admin":true}`, nil, 400, "invalid_request", "admin"},
			{"no email", map[string]string{"password": password}, nil, 400, "invalid_request", "email"},
			{"no password", map[string]string{"email": "ann@portal.test"}, nil, 400, "invalid_request", "password"},
			{"wrong password", map[string]string{"email": "ann@portal.test", "password": "wrong password"}, nil, 401, "invalid_credentials", "password"},
			{"unknown user", map[string]string{"email": "who@portal.test", "password": password}, nil, 401, "invalid_credentials", "password"},
			{"disabled user", map[string]string{"email": "off@portal.test", "password": password}, nil, 401, "invalid_credentials", "password"},
			{"user without a password", map[string]string{"email": "nopass@portal.test", "password": password}, nil, 401, "invalid_credentials", "password"},
			{"text/plain", `{"email":"ann@portal.test","password":"x"}`, []string{"Content-Type", "text/plain"}, 415, "unsupported_media", "JSON"},
			{"cross-site", map[string]string{"email": "ann@portal.test", "password": password},
				[]string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403, "cross_origin", "cross-origin"},
			{"huge", `{"email":"` + strings.Repeat("a", 20<<10) + `"}`, nil, 413, "too_large", "larger"},
		} {
			r := b.do("POST", "/portal/api/login", tc.body, tc.header...)
			code, msg := r.errorText()
			if r.status != tc.status || code != tc.code || !strings.Contains(msg, tc.says) {
				t.Errorf("%s: %d %s %q, want %d %s saying %q", tc.name, r.status, code, msg, tc.status, tc.code, tc.says)
			}
			if len(b.jar.Cookies(mustURL(t, f.base))) != 0 {
				t.Fatalf("%s: a refused login set a cookie", tc.name)
			}
		}
		if r := b.do("GET", "/portal/api/me", nil); r.status != 200 || string(r.body) != `{"user":null}`+"\n" {
			t.Errorf("me before login: %d %s", r.status, r.body)
		}

		r := b.login("ANN@portal.test", password)
		if r.status != 200 || !strings.Contains(string(r.body), `"name":"Ann Lee"`) {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		sc := r.header.Get("Set-Cookie")
		for _, want := range []string{portal.SessionCookie + "=hcp_", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(sc, want) {
				t.Errorf("Set-Cookie %q lacks %q", sc, want)
			}
		}
		if strings.Contains(sc, "halochat_session") {
			t.Errorf("the portal login set the agent cookie: %q", sc)
		}
		me := b.do("GET", "/portal/api/me", nil)
		if me.status != 200 || !strings.Contains(string(me.body), `"email":"ann@portal.test"`) {
			t.Errorf("me: %d %s", me.status, me.body)
		}
		// The portal cookie is no agent session.
		if r := b.do("GET", "/auth/me", nil); r.status != 401 {
			t.Errorf("/auth/me with the portal cookie: %d %s", r.status, r.body)
		}
		if r := b.do("POST", "/portal/api/logout", nil); r.status != 204 {
			t.Errorf("logout: %d %s", r.status, r.body)
		}
		if r := b.do("GET", "/portal/api/me", nil); r.status != 200 || string(r.body) != `{"user":null}`+"\n" {
			t.Errorf("me after logout: %d %s", r.status, r.body)
		}
		if r := b.do("GET", "/portal/api/tickets", nil); r.status != 401 {
			t.Errorf("tickets after logout: %d %s", r.status, r.body)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPortalTokenLogin(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, service.Unlimited())
		b := f.browser(t)
		good := f.token(t, jwt.MapClaims{"sub": "crm-9", "email": "tess@portal.test", "given_name": "Tess"})
		for _, tc := range []struct {
			name   string
			body   any
			status int
			code   string
			says   string
		}{
			{"no profile", map[string]string{"id_token": good}, 400, "invalid_request", "profileId"},
			{"profile a number", `{"profileId":5,"id_token":"x"}`, 400, "invalid_request", "profileId"},
			{"unknown profile", map[string]string{"profileId": "nosuch", "id_token": good}, 404, protocol.CodeProfileNotFound, "profileId"},
			{"agents-only profile", map[string]string{"profileId": f.agentsOnly.ID, "id_token": good}, 403, protocol.CodeAccessDenied, "not open to the portal"},
			{"no token", map[string]string{"profileId": f.portalOnly.ID}, 400, "invalid_request", "id_token"},
			{"garbage token", map[string]string{"profileId": f.portalOnly.ID, "id_token": "a.b.c"}, 401, protocol.CodeInvalidToken, "token"},
			{"token naming no user", map[string]string{"profileId": f.portalOnly.ID, "id_token": f.token(t, jwt.MapClaims{"CFcustomerTier": "gold"})}, 401, protocol.CodeInvalidToken, "names no user"},
		} {
			r := b.do("POST", "/portal/api/login/token", tc.body)
			code, msg := r.errorText()
			if r.status != tc.status || code != tc.code || !strings.Contains(msg, tc.says) {
				t.Errorf("%s: %d %s %q, want %d %s saying %q", tc.name, r.status, code, msg, tc.status, tc.code, tc.says)
			}
		}
		r := b.do("POST", "/portal/api/login/token", map[string]string{"profileId": f.portalOnly.ID, "id_token": good})
		if r.status != 200 || !strings.Contains(string(r.body), `"email":"tess@portal.test"`) {
			t.Fatalf("token login: %d %s", r.status, r.body)
		}
		u, err := f.st.GetUserByExternalID(context.Background(), "crm-9")
		if err != nil || u.FirstName != "Tess" || u.PasswordHash != "" {
			t.Fatalf("the token's user: %+v %v", u, err)
		}
		if me := b.do("GET", "/portal/api/me", nil); me.status != 200 || !strings.Contains(string(me.body), `"name":"Tess"`) {
			t.Errorf("me: %d %s", me.status, me.body)
		}
	})
}

// The profiles the portal offers, its tickets, and the chats it starts.
func TestPortalProfilesTicketsAndChats(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, service.Unlimited())
		demoProfile, err := f.st.GetProfile(context.Background(), f.demo.Profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		pc := &portalChats{t: t, f: f, b: f.browser(t), demoProfile: demoProfile}
		pc.loggedOut()
		if r := pc.b.login("ann@portal.test", password); r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		pc.loggedIn()
		pc.tickets()
	})
}

// portalChats is a browser on the portal, before and after ann logs in.
type portalChats struct {
	t           *testing.T
	f           *fixture
	b           *browser
	demoProfile *store.ChatProfile
}

// profiles are the profiles the portal offers, by id, with their access.
func (pc *portalChats) profiles() map[string]string {
	t := pc.t
	t.Helper()
	r := pc.b.do("GET", "/portal/api/profiles", nil)
	var ps []map[string]any
	if r.status != 200 || json.Unmarshal(r.body, &ps) != nil {
		t.Fatalf("profiles: %d %s", r.status, r.body)
	}
	out := map[string]string{}
	for _, p := range ps {
		for k := range p {
			if !strings.Contains(" id key name access colour ", " "+k+" ") {
				t.Errorf("profiles reveal %q: %s", k, r.body)
			}
		}
		out[p["id"].(string)] = p["access"].(string)
	}
	return out
}

// start starts a chat on p with a token naming someone else, as the portal
// page (portalFlag) or a host page at hostOrigin does.
func (pc *portalChats) start(p *store.ChatProfile, portalFlag bool, hostOrigin string) answer {
	return pc.b.do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key,
		HostOrigin: hostOrigin, Portal: portalFlag,
		// Someone else each time: a start of a user who has an open chat
		// here resumes it (200) rather than starting one.
		IDToken: pc.f.token(pc.t, jwt.MapClaims{"sub": "someone-else-" + store.RandomID(4), "CFcustomerTier": "gold"})})
}

// chatOf is the chat a start answered.
func (pc *portalChats) chatOf(r answer) *store.Chat {
	t := pc.t
	t.Helper()
	var resp protocol.StartChatResponse
	if r.status != 201 || json.Unmarshal(r.body, &resp) != nil {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	c, err := pc.f.st.GetChat(context.Background(), resp.ChatID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (pc *portalChats) loggedOut() {
	t, f := pc.t, pc.f
	if got := pc.profiles(); len(got) != 1 || got[f.demo.Profile.ID] != store.AccessPortalAndExternal {
		t.Errorf("logged out, profiles %v, want only the demo's", got)
	}
	if r := pc.b.do("GET", "/portal/api/tickets", nil); r.status != 401 {
		t.Errorf("tickets logged out: %d", r.status)
	}
	// A portal-only profile is refused, saying why.
	r := pc.start(f.portalOnly, true, f.base)
	if code, msg := r.errorText(); r.status != 403 || code != protocol.CodeAccessDenied || !strings.Contains(msg, "log in to the portal") {
		t.Errorf("portal-only start logged out: %d %s %q", r.status, code, msg)
	}
	// portal_and_external: an embedded chat.
	if c := pc.chatOf(pc.start(pc.demoProfile, true, f.base)); c.Context != store.ContextEmbedded {
		t.Errorf("logged-out portal start: context %q", c.Context)
	}
}

func (pc *portalChats) loggedIn() {
	t, f := pc.t, pc.f
	if got := pc.profiles(); len(got) != 2 || got[f.portalOnly.ID] != store.AccessPortal {
		t.Errorf("logged in, profiles %v, want the demo's and the portal one", got)
	}
	for _, tc := range []struct {
		name       string
		profile    *store.ChatProfile
		portalFlag bool
		hostOrigin string
		context    string // "" = refused 403
	}{
		{"portal profile", f.portalOnly, true, f.base, store.ContextPortal},
		{"portal and external profile", pc.demoProfile, true, f.base, store.ContextPortal},
		{"not marked portal", pc.demoProfile, false, f.base, store.ContextEmbedded},
		{"portal flag from another site", pc.demoProfile, true, "https://evil.example", store.ContextEmbedded},
		{"portal-only profile from another site", f.portalOnly, true, "https://evil.example", ""},
		{"agents-only profile", f.agentsOnly, true, f.base, ""},
	} {
		r := pc.start(tc.profile, tc.portalFlag, tc.hostOrigin)
		if tc.context == "" {
			if code, _ := r.errorText(); r.status != 403 || code != protocol.CodeAccessDenied {
				t.Errorf("%s: %d %s, want 403 access_denied", tc.name, r.status, r.body)
			}
			continue
		}
		c := pc.chatOf(r)
		if c.Context != tc.context {
			t.Errorf("%s: context %q, want %q", tc.name, c.Context, tc.context)
			continue
		}
		if tc.context != store.ContextPortal {
			continue
		}
		fields, err := f.st.ChatFieldValues(context.Background(), c.ID)
		if c.UserID != f.ann.ID || !c.Authenticated || c.StartStep != int64(f.demo.Flow.StartStep) || err != nil || len(fields) != 0 {
			t.Errorf("%s: chat %+v fields %v %v; want ann's (%d), at step %d, without custom fields",
				tc.name, c, fields, err, f.ann.ID, f.demo.Flow.StartStep)
		}
	}
}

// tickets checks that ann sees the tickets of her chats and the ones
// logged for her, and no one else's.
func (pc *portalChats) tickets() {
	t, f, ctx := pc.t, pc.f, context.Background()
	chats, err := f.st.ListChats(ctx, store.ChatFilter{UserID: f.ann.ID})
	if err != nil || len(chats) == 0 {
		t.Fatalf("ann's chats: %v %v", chats, err)
	}
	other := &store.User{Email: "other@portal.test"}
	if err := f.st.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []*store.Ticket{
		{Summary: "from the portal chat", ChatID: chats[0].ID, TicketTypeID: pc.demoProfile.TicketTypeID},
		{Summary: "someone else's", UserID: other.ID},
	} {
		if err := f.st.CreateTicket(ctx, tk, nil); err != nil {
			t.Fatal(err)
		}
	}
	r := pc.b.do("GET", "/portal/api/tickets", nil)
	var tickets []protocol.PortalTicket
	if r.status != 200 || json.Unmarshal(r.body, &tickets) != nil || len(tickets) != 1 ||
		tickets[0].Summary != "from the portal chat" || tickets[0].Type != f.demo.TicketType.Name || tickets[0].Status != store.TicketOpen {
		t.Errorf("tickets: %d %s", r.status, r.body)
	}
}

// Portal logins are rate-limited per address.
func TestPortalLoginsAreRateLimited(t *testing.T) {
	f := newFixture(t, testenv.SQLiteDSN(t), service.Limits{PortalLoginsPerMinute: 3})
	b := f.browser(t)
	for i := range 3 {
		if r := b.login("ann@portal.test", "wrong password"); r.status != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, r.status, r.body)
		}
	}
	r := b.login("ann@portal.test", password)
	if code, _ := r.errorText(); r.status != 429 || code != protocol.CodeRateLimited || r.header.Get("Retry-After") == "" {
		t.Errorf("4th login: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
	}
	r = b.do("POST", "/portal/api/login/token", map[string]string{"profileId": f.portalOnly.ID, "id_token": "x"})
	if r.status != 429 {
		t.Errorf("token login past the limit: %d %s", r.status, r.body)
	}
}
