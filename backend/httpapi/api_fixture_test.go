package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"halochat/backend/auth"
	"halochat/backend/chats"
	"halochat/backend/outbound"
	"halochat/backend/privacy"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

// apiFixture is a real service on a loopback port with the auth routes
// and the identity API, and bearer tokens for each kind of caller.
type apiFixture struct {
	st  *store.Store
	srv *httptest.Server
	api *IdentityAPI
	// Bearer tokens: an admin agent's session, a plain agent's session,
	// API clients with "admin", with "users:write", and with nothing.
	admin, agent, adminClient, usersClient, plainClient string
	adminAgentID                                        int64
}

const (
	fixtureAdminEmail = "admin@api.test"
	fixturePassword   = "fixture password 1"
)

// newAPIFixture starts the fixture; runbooks (and their test calls) may
// reach the internal addresses allow lists (outbound allow-list entries).
func newAPIFixture(t *testing.T, dsn string, allow ...string) *apiFixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, dsn)
	svc := &auth.Service{Store: st}
	f := &apiFixture{st: st}
	hash := storetest.PasswordHash(t, fixturePassword)
	var err error
	for _, a := range []struct {
		email, role string
		token       *string
	}{{fixtureAdminEmail, store.RoleAdmin, &f.admin}, {"agent@api.test", store.RoleAgent, &f.agent}} {
		ag := &store.Agent{Email: a.email, Name: a.email, Role: a.role, PasswordHash: hash}
		if err := st.CreateAgent(ctx, ag); err != nil {
			t.Fatal(err)
		}
		if a.role == store.RoleAdmin {
			f.adminAgentID = ag.ID
		}
		if *a.token, _, err = svc.Login(ctx, a.email, fixturePassword); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		id    string
		perms []string
		token *string
	}{
		{"fixture-admin", []string{auth.PermAdmin}, &f.adminClient},
		{"fixture-users", []string{store.PermReadModifyUsers}, &f.usersClient},
		{"fixture-plain", nil, &f.plainClient},
	} {
		*c.token = f.newClient(t, c.id, c.perms)
	}
	quiet := slog.New(slog.DiscardHandler)
	allowList, err := outbound.ParseAllowList(allow)
	if err != nil {
		t.Fatal(err)
	}
	api := &IdentityAPI{Store: st, Auth: svc, Logger: quiet, Runbooks: chats.NewRunbookClient(chats.RunbookOptions{Allow: allowList}),
		Privacy: &privacy.Service{Store: st, Logger: quiet}}
	f.api = api
	f.srv = httptest.NewServer(New(Config{Logger: quiet, DB: st, Mounts: []func(*http.ServeMux){svc.Routes, api.Routes}}))
	t.Cleanup(f.srv.Close)
	return f
}

// reply is an answer: status, decoded body and raw body.
type reply struct {
	status int
	body   any
	raw    string
	header http.Header
}

// errCode and errMessage read an {"error":{code,message}} body.
func (r reply) errCode() string    { return r.path("error", "code") }
func (r reply) errMessage() string { return r.path("error", "message") }

// path reads a string (or number as text) at keys in a JSON object body.
func (r reply) path(keys ...string) string {
	v := r.body
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}

// newClient makes an API client with the permissions, whose
// ChatMatchingData may be used on the profiles only (none: every one),
// and returns its bearer token.
func (f *apiFixture) newClient(t *testing.T, clientID string, perms []string, profiles ...string) string {
	t.Helper()
	ctx := context.Background()
	sec := clientID + "-secret-0123456789abcdef"
	if err := f.st.CreateAPIClient(ctx, &store.APIClient{ClientID: clientID, Name: clientID, SecretHash: secret.HashKey(sec),
		Permissions: perms, ProfileIDs: profiles}); err != nil {
		t.Fatal(err)
	}
	token, _, err := (&auth.Service{Store: f.st}).IssueClientToken(ctx, clientID, sec)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// call sends body (a string is sent as it is, anything else as JSON) with
// the bearer token (none when ""), as application/json unless contentType
// is given ("": no Content-Type).
func (f *apiFixture) call(t *testing.T, token, method, path string, body any, contentType ...string) reply {
	t.Helper()
	var header []string
	if body != nil {
		ct := "application/json"
		if len(contentType) > 0 {
			ct = contentType[0]
		}
		header = []string{"Content-Type", ct}
	}
	r := testenv.NewClient(t, f.srv.URL).Bearer(token).Do(method, path, body, header...)
	out := reply{status: r.Status, raw: string(r.Body), header: r.Header}
	if len(r.Body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		if err := dec.Decode(&out.body); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", method, path, r.Body)
		}
	}
	return out
}

// must checks the status of an answer and returns it.
func must(t *testing.T, r reply, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// wantError checks a refusal: status, code, and a message naming what.
func wantError(t *testing.T, r reply, status int, code, says string) {
	t.Helper()
	if r.status != status || (code != "" && r.errCode() != code) || !strings.Contains(r.errMessage(), says) {
		t.Errorf("got %d %s %q; want %d %s saying %q", r.status, r.errCode(), r.errMessage(), status, code, says)
	}
}
