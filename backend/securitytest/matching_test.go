package securitytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/service"
)

// ChatMatchingData is used only on the chat profiles it is bound to: the
// one an item names (chatprofile_id), else those its API client may use
// (profileIds; none listed = every profile).
func TestChatMatchingDataIsBoundToItsProfiles(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		admin := s.login(s.demo.Admin)
		asAdmin := func(method, path string, body any) response {
			return s.do(method, path, mustJSON(body), "Authorization", "Bearer "+admin, "Content-Type", "application/json")
		}
		// An API client bound to the demo profile.
		r := asAdmin("POST", "/api/APIClient", map[string]any{"name": "shop backend", "permissions": []string{"users:write"},
			"profileIds": []string{s.demo.Profile.ID}})
		var made struct {
			ClientID, ClientSecret string
			ProfileIDs             []string `json:"profileIds"`
		}
		if r.status != http.StatusCreated || json.Unmarshal(r.body, &made) != nil || len(made.ProfileIDs) != 1 {
			t.Fatalf("create a bound API client: %d %s", r.status, r.body)
		}
		r = asAdmin("POST", "/api/APIClient", map[string]any{"name": "x", "profileIds": []string{"nosuch"}})
		if code, msg, _ := r.apiError(); r.status != http.StatusBadRequest || code != "invalid_request" || !strings.Contains(msg, "profileIds[0]") {
			t.Errorf("a client bound to an unknown profile: %d %s", r.status, r.body)
		}
		r = s.do("POST", "/auth/token", []byte("grant_type=client_credentials&client_id="+made.ClientID+"&client_secret="+made.ClientSecret),
			"Content-Type", "application/x-www-form-urlencoded")
		var tok struct {
			Token string `json:"access_token"`
		}
		if r.status != http.StatusOK || json.Unmarshal(r.body, &tok) != nil {
			t.Fatalf("bound client token: %d %s", r.status, r.body)
		}
		register := func(bearer, body string) response {
			return s.do("POST", "/api/ChatMatchingData", []byte(body), "Authorization", "Bearer "+bearer, "Content-Type", "application/json")
		}
		item := func(r response) string {
			t.Helper()
			var items []struct{ GUID, Key string }
			if r.status != http.StatusCreated || json.Unmarshal(r.body, &items) != nil || len(items) != 1 {
				t.Fatalf("register matching data: %d %s", r.status, r.body)
			}
			return s.token(map[string]any{"chatmatchingdataguid": items[0].GUID, "chatmatchingdatakey": items[0].Key}, nil)
		}
		const refused = "the chat matching data is unknown, expired, used, or not valid for this profile"

		// Halo's body (no chatprofile_id) from the bound client: the demo profile only.
		bound := item(register(tok.Token, `[{"json_content":{"sub":"bound-1"}}]`))
		wantRefused(t, "the bound client's data on another profile", s.startWith(s.restricted, "https://shop.example", bound), refused)
		wantStatus(t, "the bound client's data on its profile", s.startWith(s.demoProfile(), "https://host.example", bound), http.StatusCreated)
		// An item naming a profile its client may not use: 403 naming it.
		r = register(tok.Token, `[{"json_content":{}},{"json_content":{},"chatprofile_id":"`+s.restricted.ID+`"}]`)
		if code, msg, _ := r.apiError(); r.status != http.StatusForbidden || code != "forbidden" || !strings.Contains(msg, "[1].chatprofile_id") {
			t.Errorf("an item naming a profile the client may not use: %d %s", r.status, r.body)
		}
		for _, bad := range []string{`"nosuch"`, `7`, `""`} {
			r = register(tok.Token, `[{"json_content":{},"chatprofile_id":`+bad+`}]`)
			if code, msg, _ := r.apiError(); r.status != http.StatusBadRequest || code != "invalid_request" || !strings.Contains(msg, "[0].chatprofile_id") {
				t.Errorf("chatprofile_id %s: %d %s", bad, r.status, r.body)
			}
		}

		// The demo client may use every profile; an item naming one is bound to it.
		named := item(register(s.clientToken(), `[{"json_content":{"sub":"named-1"},"chatprofile_id":"`+s.restricted.ID+`"}]`))
		wantRefused(t, "an item on a profile it does not name", s.startWith(s.demoProfile(), "https://host.example", named), refused)
		wantStatus(t, "an item on the profile it names", s.startWith(s.restricted, "https://shop.example", named), http.StatusCreated)
		// Without a name and with an unbound client: every profile.
		free := item(register(s.clientToken(), `[{"json_content":{"sub":"free-1"}}]`))
		wantStatus(t, "unbound data on the demo profile", s.startWith(s.demoProfile(), "https://host.example", free), http.StatusCreated)
		wantStatus(t, "unbound data on another profile", s.startWith(s.restricted, "https://shop.example", free), http.StatusCreated)
	})
}

// A refused ChatMatchingData claim says nothing about why: an unknown
// GUID, a wrong key, a used item and an item of another profile are
// answered alike (same status, code and message).
func TestChatMatchingDataRefusalsLookAlike(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		client := s.clientToken()
		r := s.do("POST", "/api/ChatMatchingData", []byte(`[{"json_content":{"sub":"same-1"},"single_use":true},{"json_content":{"sub":"same-2"},"chatprofile_id":"`+s.restricted.ID+`"}]`),
			"Authorization", "Bearer "+client, "Content-Type", "application/json")
		var items []struct{ GUID, Key string }
		if r.status != http.StatusCreated || json.Unmarshal(r.body, &items) != nil || len(items) != 2 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		tok := func(guid, key string) string {
			return s.token(map[string]any{"chatmatchingdataguid": guid, "chatmatchingdatakey": key}, nil)
		}
		p := s.demoProfile()
		wantStatus(t, "first use", s.startWith(p, "https://host.example", tok(items[0].GUID, items[0].Key)), http.StatusCreated)
		cases := map[string]string{
			"unknown GUID":     tok("5a4f0c1e-0000-4000-8000-000000000000", items[0].Key),
			"malformed GUID":   tok(strings.Repeat("g", 200), items[0].Key),
			"wrong key":        tok(items[1].GUID, items[1].Key+"x"),
			"used":             tok(items[0].GUID, items[0].Key),
			"another profile":  tok(items[1].GUID, items[1].Key),
			"wrong key, used":  tok(items[0].GUID, items[1].Key),
			"unknown, its key": tok("5a4f0c1e-0000-4000-8000-000000000001", items[1].Key),
		}
		var want string
		for name, token := range cases {
			r := s.startWith(p, "https://host.example", token)
			code, msg, _ := r.apiError()
			got := strings.Join([]string{http.StatusText(r.status), code, msg}, " | ")
			if r.status != http.StatusUnauthorized || code != protocol.CodeInvalidToken {
				t.Errorf("%s: %d %s", name, r.status, r.body)
			}
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("%s: %q, unlike another refusal's %q", name, got, want)
			}
		}
	})
}
