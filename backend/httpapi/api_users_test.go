package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

func TestUserAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newAPIFixture(t, dsn)
		valid := func(change func(m map[string]any)) map[string]any {
			m := map[string]any{"email": "Pat@Portal.test", "firstName": "Pat", "lastName": "Lee", "password": "long enough password"}
			if change != nil {
				change(m)
			}
			return m
		}

		// Who may: admins only.
		for _, tc := range []struct {
			name, token string
			status      int
		}{
			{"no credentials", "", 401},
			{"an agent", f.agent, 403},
			{"an API client without admin", f.usersClient, 403},
		} {
			for _, call := range []struct{ method, path string }{{"GET", "/api/User"}, {"POST", "/api/User"}, {"GET", "/api/User/1"}, {"PUT", "/api/User/1"}, {"DELETE", "/api/User/1"}} {
				if r := f.call(t, tc.token, call.method, call.path, valid(nil)); r.status != tc.status {
					t.Errorf("%s: %s %s: %d, want %d", tc.name, call.method, call.path, r.status, tc.status)
				}
			}
		}

		// Bad input: 400 naming the field, nothing created.
		for _, tc := range []struct {
			name   string
			body   any
			status int
			says   string
		}{
			{"no email", valid(func(m map[string]any) { delete(m, "email") }), 400, "email"},
			{"email not an address", valid(func(m map[string]any) { m["email"] = "<b>x</b>" }), 400, "email"},
			{"email a number", `{"email":5,"password":"long enough password"}`, 400, "email"},
			{"no password", valid(func(m map[string]any) { delete(m, "password") }), 400, "password"},
			{"short password", valid(func(m map[string]any) { m["password"] = "short" }), 400, "password"},
			{"password over 72 bytes", valid(func(m map[string]any) { m["password"] = strings.Repeat("é", 40) }), 400, "password"},
			{"control character in a name", valid(func(m map[string]any) { m["firstName"] = "a\nb" }), 400, "firstName"},
			{"long external id", valid(func(m map[string]any) { m["externalId"] = strings.Repeat("x", 201) }), 400, "externalId"},
			{"unknown field", valid(func(m map[string]any) { m["isAdmin"] = true }), 400, "isAdmin"},
			{"disabled a string", valid(func(m map[string]any) { m["disabled"] = "yes" }), 400, "disabled"},
		} {
			wantError(t, f.call(t, f.admin, "POST", "/api/User", tc.body), tc.status, protocol.CodeInvalidRequest, tc.says)
		}
		if r := must(t, f.call(t, f.admin, "GET", "/api/User", nil), 200); r.raw != "[]\n" {
			t.Fatalf("refused creations left users: %s", r.raw)
		}

		u := must(t, f.call(t, f.admin, "POST", "/api/User", valid(func(m map[string]any) { m["externalId"] = "crm-1" })), 201)
		if u.path("email") != "pat@portal.test" || u.path("hasPassword") != "true" || strings.Contains(u.raw, "long enough") || strings.Contains(u.raw, "$2a$") {
			t.Fatalf("created %s", u.raw)
		}
		id := u.path("id")
		stored, err := f.st.GetUserByEmail(ctx, "pat@portal.test")
		if err != nil || !secret.CheckPassword(stored.PasswordHash, "long enough password") {
			t.Fatalf("stored %+v %v: the password is not hashed as agents' are", stored, err)
		}
		wantError(t, f.call(t, f.admin, "POST", "/api/User", valid(func(m map[string]any) { m["email"] = "PAT@portal.test" })), 409, protocol.CodeConflict, "email")
		wantError(t, f.call(t, f.admin, "POST", "/api/User", valid(func(m map[string]any) { m["email"] = "other@portal.test"; m["externalId"] = "crm-1" })), 409, protocol.CodeConflict, "externalId")
		must(t, f.call(t, f.adminClient, "GET", "/api/User/"+id, nil), 200)
		wantError(t, f.call(t, f.admin, "GET", "/api/User/999999", nil), 404, protocol.CodeNotFound, "user")
		wantError(t, f.call(t, f.admin, "PUT", "/api/User/"+id, valid(func(m map[string]any) { m["id"] = 12345 })), 400, protocol.CodeInvalidRequest, "id")
		wantError(t, f.call(t, f.admin, "GET", "/api/User?limit=x", nil), 400, protocol.CodeInvalidRequest, "limit")

		// A portal session that a new password or disabling ends.
		session := func() string {
			tok := "hcp_test_" + secret.Token(8)
			if err := f.st.CreatePortalSession(ctx, &store.PortalSession{TokenHash: secret.HashKey(tok), UserID: stored.ID,
				ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			return tok
		}
		alive := func(tok string) bool {
			_, err := f.st.UserBySession(ctx, secret.HashKey(tok), time.Now())
			return err == nil
		}
		s1 := session()
		up := must(t, f.call(t, f.admin, "PUT", "/api/User/"+id, map[string]any{"email": "pat@portal.test", "firstName": "Patricia", "externalId": "crm-1"}), 200)
		if up.path("firstName") != "Patricia" || up.path("lastName") != "" || up.path("hasPassword") != "true" || !alive(s1) {
			t.Errorf("update without a password: %s (session alive %v)", up.raw, alive(s1))
		}
		must(t, f.call(t, f.admin, "PUT", "/api/User/"+id, map[string]any{"email": "pat@portal.test", "password": "a new long password"}), 200)
		if alive(s1) {
			t.Errorf("a new password left the old session alive")
		}
		s2 := session()
		dis := must(t, f.call(t, f.admin, "DELETE", "/api/User/"+id, nil), 200)
		if dis.path("disabled") != "true" || alive(s2) {
			t.Errorf("disable: %s (session alive %v)", dis.raw, alive(s2))
		}
		if list := must(t, f.call(t, f.admin, "GET", "/api/User", nil), 200); len(list.body.([]any)) != 1 {
			t.Errorf("list after disabling: %s", list.raw)
		}
		// The OpenAPI document has the routes and their schemas.
		doc := must(t, f.call(t, "", http.MethodGet, "/api/openapi.json", nil), 200)
		for _, want := range []string{`"/api/User/{id}"`, `"UserInput"`, `"/portal/api/login"`} {
			if !strings.Contains(doc.raw, want) {
				t.Errorf("the OpenAPI document lacks %s", want)
			}
		}
	})
}
