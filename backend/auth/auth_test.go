package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"halochat/backend/auth"
	"halochat/backend/httpx"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

type fixture struct {
	logs  *testenv.Logs
	st    *store.Store
	svc   *auth.Service
	srv   *httptest.Server
	clock *time.Time
}

const (
	agentPass  = "agent password 1"
	adminPass  = "admin password 1"
	usersKey   = "users-client-secret-0123456789"
	adminKey   = "admin-client-secret-0123456789"
	nothingKey = "plain-client-secret-0123456789"
)

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, dsn)
	now := time.Now().UTC()
	f := &fixture{logs: &testenv.Logs{}, st: st, clock: &now}
	f.svc = &auth.Service{Store: st, Logger: f.logs.Logger(), Now: func() time.Time { return *f.clock }, SessionTTL: time.Hour, TokenTTL: time.Minute}
	for _, a := range []struct{ email, pass, role string }{
		{"agent@example.test", agentPass, store.RoleAgent},
		{"admin@example.test", adminPass, store.RoleAdmin},
		{"gone@example.test", agentPass, store.RoleAdmin},
	} {
		h := storetest.PasswordHash(t, a.pass)
		ag := &store.Agent{Email: a.email, Name: a.email, Role: a.role, PasswordHash: h, Presence: store.PresenceOffline}
		if err := st.CreateAgent(ctx, ag); err != nil {
			t.Fatal(err)
		}
		if a.email == "gone@example.test" {
			ag.Disabled = true
			if err := st.UpdateAgent(ctx, ag); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		id, key string
		perms   []string
	}{
		{"users", usersKey, []string{store.PermReadModifyUsers}},
		{"admin", adminKey, []string{auth.PermAdmin}},
		{"nothing", nothingKey, nil},
	} {
		if err := st.CreateAPIClient(ctx, &store.APIClient{ClientID: c.id, Name: c.id, SecretHash: secret.HashKey(c.key), Permissions: c.perms}); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	f.svc.Routes(mux)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := "client"
		if a := auth.AgentFrom(r.Context()); a != nil {
			who = a.Email
		} else if c := auth.ClientFrom(r.Context()); c != nil {
			who = c.ClientID
		}
		_, _ = w.Write([]byte(who))
	})
	mux.Handle("/agent", f.svc.RequireAgent(ok))
	mux.Handle("/admin", f.svc.RequireAdmin(ok))
	mux.Handle("/users", f.svc.RequirePermission(store.PermReadModifyUsers, ok))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request with the header pairs (name, value) and returns
// the answer's status and headers, and its body.
func (f *fixture) do(t *testing.T, method, path, body string, header ...string) (*http.Response, string) {
	t.Helper()
	r := testenv.NewClient(t, f.srv.URL).Do(method, path, body, header...)
	return &http.Response{StatusCode: r.Status, Header: r.Header}, string(r.Body)
}

func (f *fixture) login(t *testing.T, email, pass string) (token string, cookie *http.Cookie) {
	t.Helper()
	res, body := f.do(t, "POST", "/auth/login", `{"email":"`+email+`","password":"`+pass+`"}`, "Content-Type", "application/json")
	if res.StatusCode != 200 {
		t.Fatalf("login %s = %d %s", email, res.StatusCode, body)
	}
	var out struct{ Token string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.Token == "" {
		t.Fatalf("login body %s: %v", body, err)
	}
	for _, c := range res.Cookies() {
		if c.Name == auth.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("login set no session cookie")
	}
	return out.Token, cookie
}

func (f *fixture) clientToken(t *testing.T, id, key string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {key}}
	res, body := f.do(t, "POST", "/auth/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if res.StatusCode != 200 {
		t.Fatalf("token for %s = %d %s", id, res.StatusCode, body)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if out.TokenType != "Bearer" || out.ExpiresIn != 60 || out.AccessToken == "" {
		t.Fatalf("token answer %s", body)
	}
	return out.AccessToken
}

// TestAuth runs its steps in order on one fixture for each database.
func TestAuth(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		testenv.RunSteps(t, newFixture(t, dsn), []testenv.Step[*fixture]{
			{Name: "login refusals say nothing about which accounts exist", Run: authLoginRefusals},
			{Name: "session cookie is HttpOnly and SameSite and works with its bearer form", Run: authSessionCookie},
			{Name: "cross-site writes with the cookie are refused", Run: authCrossSiteWrites},
			{Name: "roles and permissions", Run: authRolesAndPermissions},
			{Name: "token endpoint follows OAuth 2", Run: authTokenEndpoint},
			{Name: "tokens and sessions expire and logout ends a session", Run: authExpiry},
		})
	})
}

func authLoginRefusals(t *testing.T, f *fixture) {
	for _, c := range []struct{ email, pass string }{
		{"agent@example.test", "wrong"}, {"nobody@example.test", agentPass}, {"gone@example.test", agentPass},
	} {
		res, body := f.do(t, "POST", "/auth/login", `{"email":"`+c.email+`","password":"`+c.pass+`"}`, "Content-Type", "application/json")
		if res.StatusCode != 401 || !strings.Contains(body, "wrong email or password") {
			t.Errorf("login %s/%s = %d %s, want 401 wrong email or password", c.email, c.pass, res.StatusCode, body)
		}
	}
	for _, body := range []string{`{`, `{"email":"a@b.c"}`, `{"email":"a","password":"b","extra":1}`} {
		if res, _ := f.do(t, "POST", "/auth/login", body, "Content-Type", "application/json"); res.StatusCode != 400 {
			t.Errorf("login body %s = %d, want 400", body, res.StatusCode)
		}
	}
}

func authSessionCookie(t *testing.T, f *fixture) {
	token, c := f.login(t, "agent@example.test", agentPass)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie HttpOnly=%v SameSite=%v", c.HttpOnly, c.SameSite)
	}
	if res, body := f.do(t, "GET", "/agent", "", "Cookie", c.Name+"="+c.Value); res.StatusCode != 200 || body != "agent@example.test" {
		t.Errorf("cookie GET /agent = %d %s", res.StatusCode, body)
	}
	if res, body := f.do(t, "GET", "/auth/me", "", "Authorization", "Bearer "+token); res.StatusCode != 200 || !strings.Contains(body, `"role":"agent"`) {
		t.Errorf("bearer GET /auth/me = %d %s", res.StatusCode, body)
	}
}

func authCrossSiteWrites(t *testing.T, f *fixture) {
	_, c := f.login(t, "admin@example.test", adminPass)
	res, _ := f.do(t, "POST", "/admin", "", "Cookie", c.Name+"="+c.Value, "Sec-Fetch-Site", "cross-site")
	if res.StatusCode != 403 {
		t.Errorf("cross-site POST with cookie = %d, want 403", res.StatusCode)
	}
	if res, _ := f.do(t, "POST", "/admin", "", "Cookie", c.Name+"="+c.Value, "Sec-Fetch-Site", "same-origin"); res.StatusCode != 200 {
		t.Errorf("same-origin POST with cookie = %d, want 200", res.StatusCode)
	}
}

func authRolesAndPermissions(t *testing.T, f *fixture) {
	agentTok, _ := f.login(t, "agent@example.test", agentPass)
	adminTok, _ := f.login(t, "admin@example.test", adminPass)
	users := f.clientToken(t, "users", usersKey)
	admin := f.clientToken(t, "admin", adminKey)
	nothing := f.clientToken(t, "nothing", nothingKey)
	tests := []struct {
		path, token string
		want        int
	}{
		{"/agent", "", 401}, {"/agent", agentTok, 200}, {"/agent", adminTok, 200}, {"/agent", users, 403},
		{"/admin", agentTok, 403}, {"/admin", adminTok, 200}, {"/admin", admin, 200}, {"/admin", users, 403},
		{"/users", users, 200}, {"/users", admin, 200}, {"/users", nothing, 403}, {"/users", agentTok, 403},
		{"/users", adminTok, 200}, {"/users", "hct_forged", 401}, {"/users", "garbage", 401},
	}
	for _, tt := range tests {
		var h []string
		if tt.token != "" {
			h = []string{"Authorization", "Bearer " + tt.token}
		}
		if res, body := f.do(t, "GET", tt.path, "", h...); res.StatusCode != tt.want {
			t.Errorf("GET %s with %.8s… = %d %s, want %d", tt.path, tt.token, res.StatusCode, body, tt.want)
		}
	}
	if res, _ := f.do(t, "GET", "/users", "", "Authorization", "Basic abc"); res.StatusCode != 401 {
		t.Errorf("a non-bearer Authorization = %d, want 401", res.StatusCode)
	}
}

func authTokenEndpoint(t *testing.T, f *fixture) {
	form := func(v url.Values) string { return v.Encode() }
	tests := []struct {
		name, body, ctype string
		want              int
		code              string
	}{
		{"wrong secret", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {"users"}, "client_secret": {"nope"}}), "application/x-www-form-urlencoded", 401, "invalid_client"},
		{"unknown client", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {"who"}, "client_secret": {"x"}}), "application/x-www-form-urlencoded", 401, "invalid_client"},
		{"wrong grant", form(url.Values{"grant_type": {"password"}, "client_id": {"users"}, "client_secret": {usersKey}}), "application/x-www-form-urlencoded", 400, "unsupported_grant_type"},
		{"missing secret", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {"users"}}), "application/x-www-form-urlencoded", 400, "invalid_request"},
		{"JSON body", `{"grant_type":"client_credentials"}`, "application/json", 400, "invalid_request"},
	}
	for _, tt := range tests {
		res, body := f.do(t, "POST", "/auth/token", tt.body, "Content-Type", tt.ctype)
		if res.StatusCode != tt.want || !strings.Contains(body, `"error":"`+tt.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tt.name, res.StatusCode, body, tt.want, tt.code)
		}
	}
	req, _ := http.NewRequest("POST", f.srv.URL+"/auth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("users", usersKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("client credentials in Basic auth = %d, want 200", res.StatusCode)
	}
}

func authExpiry(t *testing.T, f *fixture) {
	tok := f.clientToken(t, "users", usersKey)
	sess, _ := f.login(t, "agent@example.test", agentPass)
	other, _ := f.login(t, "agent@example.test", agentPass)
	if res, _ := f.do(t, "POST", "/auth/logout", "", "Authorization", "Bearer "+other); res.StatusCode != 204 {
		t.Errorf("logout = %d", res.StatusCode)
	}
	if res, _ := f.do(t, "GET", "/agent", "", "Authorization", "Bearer "+other); res.StatusCode != 401 {
		t.Errorf("a logged-out session = %d, want 401", res.StatusCode)
	}
	*f.clock = f.clock.Add(2 * time.Minute)
	if res, body := f.do(t, "GET", "/users", "", "Authorization", "Bearer "+tok); res.StatusCode != 401 || !strings.Contains(body, "expired") {
		t.Errorf("an expired client token = %d %s, want 401 expired", res.StatusCode, body)
	}
	if res, _ := f.do(t, "GET", "/agent", "", "Authorization", "Bearer "+sess); res.StatusCode != 200 {
		t.Errorf("a session within its hour = %d, want 200", res.StatusCode)
	}
	*f.clock = f.clock.Add(2 * time.Hour)
	if res, _ := f.do(t, "GET", "/agent", "", "Authorization", "Bearer "+sess); res.StatusCode != 401 {
		t.Errorf("an expired session = %d, want 401", res.StatusCode)
	}
	n, err := f.st.DeleteExpiredAuth(context.Background(), *f.clock)
	if err != nil || n < 2 {
		t.Errorf("DeleteExpiredAuth = %d, %v; want at least the expired token and session", n, err)
	}
}

// An e-mail or client id with a NUL byte or bytes that are not UTF-8 names
// no account: it is bad input (400, OAuth's invalid_request on the token
// endpoint), not a failure of the service, so it is neither a 500 nor an
// ERROR line in the log that anyone could repeat at will.
func TestMalformedCredentialsAreBadInput(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		form := "application/x-www-form-urlencoded"
		basic := func(id string) string {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+usersKey))
		}
		tests := []struct {
			name, path, body string
			header           []string
			status           int
			code, field      string
		}{
			{"login: NUL in the e-mail", "/auth/login", `{"email":"agent\u0000@example.test","password":"x"}`,
				[]string{"Content-Type", "application/json"}, 400, "invalid_request", "email"},
			{"login: NUL in the password", "/auth/login", `{"email":"agent@example.test","password":"a\u0000b"}`,
				[]string{"Content-Type", "application/json"}, 401, "invalid_credentials", ""},
			{"token: NUL in client_id", "/auth/token", "grant_type=client_credentials&client_id=a%00b&client_secret=x",
				[]string{"Content-Type", form}, 400, "invalid_request", "client_id"},
			{"token: client_id not UTF-8", "/auth/token", "grant_type=client_credentials&client_id=a%ffb&client_secret=x",
				[]string{"Content-Type", form}, 400, "invalid_request", "client_id"},
			{"token: NUL in the Basic client id", "/auth/token", "grant_type=client_credentials",
				[]string{"Content-Type", form, "Authorization", basic("us\x00ers")}, 400, "invalid_request", "client_id"},
			{"token: NUL in client_secret", "/auth/token", "grant_type=client_credentials&client_id=users&client_secret=a%00b",
				[]string{"Content-Type", form}, 401, "invalid_client", ""},
		}
		for _, tt := range tests {
			res, body := f.do(t, "POST", tt.path, tt.body, tt.header...)
			var e struct {
				Error json.RawMessage
				Desc  string `json:"error_description"`
			}
			_ = json.Unmarshal([]byte(body), &e)
			if res.StatusCode != tt.status || !strings.Contains(string(e.Error), tt.code) ||
				!strings.Contains(string(e.Error)+e.Desc, tt.field) {
				t.Errorf("%s: %d %s, want %d %s naming %q", tt.name, res.StatusCode, body, tt.status, tt.code, tt.field)
			}
		}
		if logs := f.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
			t.Errorf("malformed credentials were logged as errors:\n%s", logs)
		}
	})
}

// node serves another auth.Service with limits on f's store and clock: a
// second node of the cluster. It trusts loopback as a proxy, so a test
// names the client address with X-Forwarded-For.
func (f *fixture) node(t *testing.T, limits auth.Limits) *testenv.Client {
	t.Helper()
	svc := &auth.Service{Store: f.st, Logger: f.logs.Logger(), Now: func() time.Time { return *f.clock }, Limits: limits}
	mux := http.NewServeMux()
	svc.Routes(mux)
	proxies, err := httpx.ParsePrefixes([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpx.TrustProxies(proxies, mux))
	t.Cleanup(srv.Close)
	return testenv.NewClient(t, srv.URL)
}

func loginBody(email, pass string) map[string]string {
	return map[string]string{"email": email, "password": pass}
}

func tokenForm(id, key string) string {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {key}}.Encode()
}

// Guessing an account's password is locked per account, on every node
// alike (the count is in the database): the 3rd failure locks it for a
// minute, the next for two; a success clears the count. Unknown accounts
// lock the same way, so a lock tells nothing of which exist.
func TestPasswordGuessingLocksTheAccount(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		limits := auth.Limits{Failures: 3, FirstLock: time.Minute, MaxLock: 4 * time.Minute, AddressFailuresPerMinute: -1}
		nodes := []*testenv.Client{f.node(t, limits), f.node(t, limits)}
		form := []string{"Content-Type", "application/x-www-form-urlencoded"}
		type step struct {
			what       string
			after      time.Duration // the clock moves first
			node       int
			login      map[string]string // or
			token      string
			status     int
			retryAfter string
		}
		for _, st := range []step{
			{what: "1st wrong password", node: 0, login: loginBody("agent@example.test", "guess 1"), status: 401},
			{what: "2nd, on the other node", node: 1, login: loginBody("agent@example.test", "guess 2"), status: 401},
			{what: "3rd: locks a minute", node: 0, login: loginBody("agent@example.test", "guess 3"), status: 401},
			{what: "the right password while locked", node: 1, login: loginBody("agent@example.test", agentPass), status: 429, retryAfter: "60"},
			{what: "the same e-mail in capitals", node: 0, login: loginBody("AGENT@example.test", agentPass), status: 429, retryAfter: "60"},
			{what: "another account", node: 0, login: loginBody("admin@example.test", adminPass), status: 200},
			{what: "a minute later: the 4th locks two", after: 61 * time.Second, node: 1, login: loginBody("agent@example.test", "guess 4"), status: 401},
			{what: "locked again", node: 0, login: loginBody("agent@example.test", agentPass), status: 429, retryAfter: "120"},
			{what: "after the lock: the right password", after: 121 * time.Second, node: 0, login: loginBody("agent@example.test", agentPass), status: 200},
			{what: "the count starts over (1)", node: 1, login: loginBody("agent@example.test", "guess 5"), status: 401},
			{what: "the count starts over (2)", node: 0, login: loginBody("agent@example.test", "guess 6"), status: 401},
			{what: "below the limit", node: 1, login: loginBody("agent@example.test", agentPass), status: 200},
			{what: "unknown account 1", node: 0, login: loginBody("nobody@example.test", "guess 7"), status: 401},
			{what: "unknown account 2", node: 1, login: loginBody("nobody@example.test", "guess 8"), status: 401},
			{what: "unknown account 3", node: 0, login: loginBody("nobody@example.test", "guess 9"), status: 401},
			{what: "unknown account locked alike", node: 1, login: loginBody("nobody@example.test", "guess 10"), status: 429, retryAfter: "60"},
			{what: "client: 1st wrong secret", node: 0, token: tokenForm("users", "guess 11"), status: 401},
			{what: "client: 2nd", node: 1, token: tokenForm("users", "guess 12"), status: 401},
			{what: "client: 3rd locks", node: 0, token: tokenForm("users", "guess 13"), status: 401},
			{what: "client: the right secret while locked", node: 1, token: tokenForm("users", usersKey), status: 429, retryAfter: "60"},
			{what: "another client", node: 1, token: tokenForm("admin", adminKey), status: 200},
			{what: "client: after the lock", after: 61 * time.Second, node: 0, token: tokenForm("users", usersKey), status: 200},
		} {
			*f.clock = f.clock.Add(st.after)
			var r *testenv.Response
			if st.login != nil {
				r = nodes[st.node].Do("POST", "/auth/login", st.login)
			} else {
				r = nodes[st.node].Do("POST", "/auth/token", st.token, form...)
			}
			if r.Status != st.status || r.Header.Get("Retry-After") != st.retryAfter {
				t.Fatalf("%s: %d Retry-After %q %s, want %d Retry-After %q", st.what, r.Status, r.Header.Get("Retry-After"), r.Body, st.status, st.retryAfter)
			}
			if st.status == 429 && !strings.Contains(string(r.Body), "rate_limited") {
				t.Errorf("%s: %s, want rate_limited", st.what, r.Body)
			}
		}
		logs := f.logs.String()
		for _, want := range []string{`"msg":"account locked after failed logins","kind":"agent","account":"agent@example.test"`,
			`"kind":"agent","account":"nobody@example.test"`, `"kind":"client","account":"users"`} {
			if !strings.Contains(logs, want) {
				t.Errorf("the log lacks %s:\n%s", want, logs)
			}
		}
		for _, secret := range []string{agentPass, adminPass, usersKey, "guess "} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds a password or secret (%q)", secret)
			}
		}
	})
}

// Failures from one address are limited too (here 3 a minute), whatever
// the accounts tried; successes do not count, other addresses are not
// held back, and logins and client tokens are counted apart.
func TestPasswordGuessingIsLimitedPerAddress(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		c := f.node(t, auth.Limits{Failures: 100, AddressFailuresPerMinute: 3})
		from := func(addr string) *testenv.Client { return c.With("X-Forwarded-For", addr) }
		guesser, office := from("203.0.113.9"), from("198.51.100.1")
		for i := range 5 {
			if r := office.Do("POST", "/auth/login", loginBody("agent@example.test", agentPass)); r.Status != 200 {
				t.Fatalf("success %d from the office: %d %s", i, r.Status, r.Body)
			}
		}
		for i, email := range []string{"agent@example.test", "admin@example.test", "nobody@example.test"} {
			if r := guesser.Do("POST", "/auth/login", loginBody(email, "guess")); r.Status != 401 {
				t.Fatalf("failure %d: %d %s", i, r.Status, r.Body)
			}
		}
		r := guesser.Do("POST", "/auth/login", loginBody("admin@example.test", adminPass))
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "address") {
			t.Errorf("4th attempt from the address: %d %q %s, want 429 naming the address", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		if r := from("203.0.113.10").Do("POST", "/auth/login", loginBody("admin@example.test", adminPass)); r.Status != 200 {
			t.Errorf("another address: %d %s", r.Status, r.Body)
		}
		if r := guesser.Do("POST", "/auth/token", tokenForm("users", usersKey), "Content-Type", "application/x-www-form-urlencoded"); r.Status != 200 {
			t.Errorf("a client token from the address (counted apart): %d %s", r.Status, r.Body)
		}
		if logs := f.logs.String(); !strings.Contains(logs, `"msg":"address locked after failed logins","kind":"agent","address":"203.0.113.9"`) {
			t.Errorf("the lock is not logged:\n%s", logs)
		}
	})
}
