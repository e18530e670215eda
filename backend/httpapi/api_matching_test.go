package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

func TestChatMatchingDataEndpoint(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		const path = "/api/ChatMatchingData"
		good := `[{"json_content":{"firstname":"John","CFtier":"gold"}},{"json_content":{"email":"j@example.com"},"single_use":true}]`

		t.Run("authentication and permission", func(t *testing.T) {
			wantError(t, f.call(t, "", "POST", path, good), 401, "unauthorized", "")
			wantError(t, f.call(t, "not-a-token", "POST", path, good), 401, "unauthorized", "")
			wantError(t, f.call(t, f.plainClient, "POST", path, good), 403, "forbidden", "users:write")
			wantError(t, f.call(t, f.agent, "POST", path, good), 403, "forbidden", "")
		})

		t.Run("201 with guid, key and expires_at per item, in order; keys stored hashed", func(t *testing.T) { matchingItemsCreated(t, f, path, good) })

		t.Run("bad bodies are 400 with a clear message", func(t *testing.T) {
			for _, tc := range []struct{ body, says string }{
				{``, "not valid JSON"},
				{`{`, "not valid JSON"},
				{`{"json_content":{}}`, "must be an array of objects"},
				{`"x"`, "must be an array of objects"},
				{`null`, "must be an array of objects"},
				{`[]`, "empty"},
				{`[1]`, "[0]: is not an object"},
				{`[{"json_content":{}}, null]`, "[1]: is not an object"},
				{`[{"single_use":true}]`, "[0].json_content: is missing"},
				{`[{"json_content":"John"}]`, "[0].json_content: must be a JSON object"},
				{`[{"json_content":[1]}]`, "[0].json_content: must be a JSON object"},
				{`[{"json_content":null}]`, "[0].json_content: must be a JSON object"},
				{`[{"json_content":{},"single_use":"yes"}]`, "[0].single_use: must be true or false"},
				{`[{"json_content":{},"expires":1}]`, "[0].expires: unknown field"},
				{`[{"json_content":{},"chatprofile_id":7}]`, "[0].chatprofile_id: must be the id of a chat profile"},
				{`[{"json_content":{},"chatprofile_id":""}]`, "[0].chatprofile_id: must be the id of a chat profile"},
				{`[{"json_content":{}},{"json_content":{},"chatprofile_id":"nosuch"}]`, `[1].chatprofile_id: no chat profile "nosuch"`},
				{`[{"json_content":{"a":"\u0000"}}]`, "NUL"},
			} {
				wantError(t, f.call(t, f.usersClient, "POST", path, tc.body), 400, protocol.CodeInvalidRequest, tc.says)
			}
			wantError(t, f.call(t, f.usersClient, "POST", path, good, "text/plain"), 415, protocol.CodeUnsupportedMedia, "JSON")
		})

		t.Run("items are bound to the profile they name, else to their client's profiles", func(t *testing.T) { matchingItemsBound(t, f, path) })

		t.Run("size limits are 413", func(t *testing.T) {
			big := `[{"json_content":{"a":"` + strings.Repeat("x", identity.MaxMatchingContentBytes) + `"}}]`
			wantError(t, f.call(t, f.usersClient, "POST", path, big), 413, protocol.CodeTooLarge, "[0].json_content")
			many := "[" + strings.TrimSuffix(strings.Repeat(`{"json_content":{}},`, identity.MaxMatchingItems+1), ",") + "]"
			wantError(t, f.call(t, f.usersClient, "POST", path, many), 413, protocol.CodeTooLarge, "at most")
			huge := `[{"json_content":{"a":"` + strings.Repeat("x", maxMatchingBody) + `"}}]`
			wantError(t, f.call(t, f.usersClient, "POST", path, huge), 413, protocol.CodeTooLarge, "larger than")
		})

		t.Run("nothing is stored by a refused request", func(t *testing.T) {
			n, err := f.st.DB().NewSelect().Table("chat_matching_data").Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n != 3+6 {
				t.Errorf("%d items stored, want the 9 accepted", n)
			}
		})
	})
}

func matchingItemsCreated(t *testing.T, f *apiFixture, path, good string) {
	before := time.Now().UTC().Add(-time.Second)
	r := must(t, f.call(t, f.usersClient, "POST", path, good), http.StatusCreated)
	items, ok := r.body.([]any)
	if !ok || len(items) != 2 {
		t.Fatalf("body = %s", r.raw)
	}
	for i, it := range items {
		m := it.(map[string]any)
		guid, key, exp := m["guid"].(string), m["key"].(string), m["expires_at"].(string)
		if guid == "" || key == "" || exp == "" {
			t.Fatalf("item %d = %v", i, m)
		}
		d, err := f.st.GetMatchingData(context.Background(), guid)
		if err != nil {
			t.Fatal(err)
		}
		if d.KeyHash == key || !secret.CheckKey(d.KeyHash, key) {
			t.Errorf("item %d: the key is not stored hashed", i)
		}
		if got := d.ExpiresAt.Sub(d.CreatedAt); got != 24*time.Hour {
			t.Errorf("item %d valid for %s, want 24h", i, got)
		}
		if e, _ := time.Parse(time.RFC3339Nano, exp); !e.Equal(d.ExpiresAt) || e.Before(before.Add(24*time.Hour)) {
			t.Errorf("item %d expires_at %s, stored %s", i, exp, d.ExpiresAt)
		}
		if d.SingleUse != (i == 1) || m["single_use"] != (i == 1) {
			t.Errorf("item %d single_use = %v / %v", i, d.SingleUse, m["single_use"])
		}
		if d.APIClientID == 0 {
			t.Errorf("item %d: no API client recorded", i)
		}
		var content map[string]any
		if err := json.Unmarshal(d.Content, &content); err != nil || (i == 0 && content["firstname"] != "John") {
			t.Errorf("item %d content %s", i, d.Content)
		}
	}
	// An admin may do it too.
	must(t, f.call(t, f.adminClient, "POST", path, `[{"json_content":{}}]`), http.StatusCreated)
}

func matchingItemsBound(t *testing.T, f *apiFixture, path string) {
	ctx := context.Background()
	var shop, blog store.ChatProfile
	for i, p := range []*store.ChatProfile{&shop, &blog} {
		*p = store.ChatProfile{Name: []string{"shop", "blog"}[i], Access: store.AccessPortalAndExternal}
		if err := f.st.CreateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	bound := f.newClient(t, "fixture-shop", []string{store.PermReadModifyUsers}, shop.ID)
	profilesOf := func(r reply) string {
		t.Helper()
		var out [][]string
		for _, it := range r.body.([]any) {
			d, err := f.st.GetMatchingData(ctx, it.(map[string]any)["guid"].(string))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d.ProfileIDs)
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct{ name, token, body, want string }{
		{"Halo's body from a bound client: its profiles", bound, `[{"json_content":{}}]`, "[[" + shop.ID + "]]"},
		{"a bound client naming its profile", bound, `[{"json_content":{},"chatprofile_id":"` + shop.ID + `"}]`, "[[" + shop.ID + "]]"},
		{"Halo's body from an unbound client: every profile", f.usersClient, `[{"json_content":{}}]`, "[[]]"},
		{"an unbound client naming a profile", f.usersClient, `[{"json_content":{},"chatprofile_id":"` + blog.ID + `"},{"json_content":{}}]`, "[[" + blog.ID + "] []]"},
		{"an admin naming a profile", f.admin, `[{"json_content":{},"chatprofile_id":"` + blog.ID + `"}]`, "[[" + blog.ID + "]]"},
	} {
		r := must(t, f.call(t, tc.token, "POST", path, tc.body), http.StatusCreated)
		if got := profilesOf(r); got != tc.want {
			t.Errorf("%s: bound to %s, want %s", tc.name, got, tc.want)
		}
	}
	before, err := f.st.DB().NewSelect().Table("chat_matching_data").Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := f.call(t, bound, "POST", path, `[{"json_content":{}},{"json_content":{},"chatprofile_id":"`+blog.ID+`"}]`)
	wantError(t, r, 403, "forbidden", `[1].chatprofile_id: API client "fixture-shop" may not use chat profile`)
	if after, _ := f.st.DB().NewSelect().Table("chat_matching_data").Count(ctx); after != before {
		t.Errorf("a refused request stored %d items", after-before)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	f := newAPIFixture(t, testenv.SQLiteDSN(t))
	r := must(t, f.call(t, "", "GET", "/api/openapi.json", nil), 200)
	doc := r.body.(map[string]any)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	api := &IdentityAPI{}
	var routes []string
	for _, rt := range api.routes() {
		routes = append(routes, rt.method+" "+rt.path)
		for _, name := range []string{rt.request, rt.response} {
			if name = strings.TrimPrefix(name, "[]"); name != "" && schemas[name] == nil {
				t.Errorf("%s %s names schema %q, which the document lacks", rt.method, rt.path, name)
			}
		}
	}
	routes = append(routes, "POST /auth/token", "POST /auth/login", "POST /auth/logout", "GET /auth/me", "GET /api/openapi.json")
	// /metrics is the service's (backend/service): backend/securitytest
	// checks it is served.
	routes = append(routes, "GET /metrics")
	// The chat runtime serves its own routes: backend/securitytest checks
	// the service serves each documented one.
	for _, e := range append(ChatEndpoints(), PortalEndpoints()...) {
		routes = append(routes, e.Method+" "+e.Path)
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		item, _ := paths[path].(map[string]any)
		if item == nil || item[strings.ToLower(method)] == nil {
			t.Errorf("%s is not in the OpenAPI document", rt)
		}
	}
	// Every registered API route is guarded: no credentials, 401.
	for _, rt := range api.routes() {
		p := strings.ReplaceAll(rt.path, "{id}", "1")
		if got := f.call(t, "", rt.method, p, nil); got.status != 401 {
			t.Errorf("%s %s without credentials = %d, want 401", rt.method, p, got.status)
		}
	}
	// And the document's every operation exists (no documented phantom).
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if !slices.Contains(routes, strings.ToUpper(method)+" "+path) {
				t.Errorf("the document lists %s %s, which is not served", method, path)
			}
		}
	}
}

func TestAdminEndpointsNeedAnAdmin(t *testing.T) {
	f := newAPIFixture(t, testenv.SQLiteDSN(t))
	for _, who := range []struct {
		name, token string
		status      int
	}{
		{"plain agent", f.agent, 403}, {"users:write client", f.usersClient, 403}, {"plain client", f.plainClient, 403},
		{"admin agent", f.admin, 200}, {"admin client", f.adminClient, 200},
	} {
		for _, p := range []string{"/api/ChatProfile", "/api/CustomField", "/api/TicketType", "/api/APIClient", "/api/Agent"} {
			if got := f.call(t, who.token, "GET", p, nil); got.status != who.status {
				t.Errorf("%s GET %s = %d, want %d", who.name, p, got.status, who.status)
			}
		}
	}
}
