package httpapi

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/testenv"
)

// auditLog reads GET /api/AuditLog with query as the admin.
func (f *apiFixture) auditLog(t *testing.T, query string) ([]protocol.AuditEntry, string) {
	t.Helper()
	r := must(t, f.call(t, f.admin, "GET", "/api/AuditLog?"+query, nil), 200)
	var out []protocol.AuditEntry
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil {
		t.Fatalf("audit log %q: %v", r.raw, err)
	}
	return out, r.raw
}

// Every admin change writes one audit row — who, from where, what and
// the fields changed, secrets as "changed" — and a refused or failed
// change writes none.
func TestAuditLog(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		start := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		const password = "a new agent password 42"

		// Changes, by an admin agent and an admin API client.
		profile := must(t, f.call(t, f.admin, "POST", "/api/ChatProfile", profileBody("audited", nil)), 201)
		pid := profile.path("id")
		must(t, f.call(t, f.admin, "POST", "/api/ChatProfile/"+pid+"/key", nil), 200)
		hook := must(t, f.call(t, f.adminClient, "POST", "/api/Webhook", map[string]any{
			"url": "https://hooks.example.com/in", "events": []string{protocol.WebhookChatStarted}}), 201)
		hid := hook.path("id")
		rotated := must(t, f.call(t, f.admin, "POST", "/api/Webhook/"+hid+"/secret", nil), 200)
		agent := must(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{
			"email": "new@api.test", "name": "New Agent", "role": "agent", "password": password}), 201)
		aid := agent.path("id")
		must(t, f.call(t, f.admin, "PUT", "/api/Agent/"+aid, map[string]any{
			"email": "new@api.test", "name": "Renamed Agent", "role": "agent", "password": password + "!"}), 200)
		client := must(t, f.call(t, f.admin, "POST", "/api/APIClient", map[string]any{"name": "ci", "permissions": []string{"chats:read"}}), 201)

		// Refused and failed changes write nothing.
		wantError(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "bad", "name": "x", "role": "agent", "password": password}),
			400, protocol.CodeInvalidRequest, "email")
		wantError(t, f.call(t, f.admin, "PUT", "/api/Agent/"+aid, map[string]any{
			"email": fixtureAdminEmail, "name": "Taken", "role": "agent"}), 409, protocol.CodeConflict, "")
		wantError(t, f.call(t, f.admin, "DELETE", "/api/Webhook/999999", nil), 404, protocol.CodeNotFound, "")
		must(t, f.call(t, f.admin, "GET", "/api/Agent/"+aid, nil), 200)

		rows, raw := f.auditLog(t, "from="+url.QueryEscape(start))
		want := []struct{ actor, entity, id, action string }{
			{"agent", "APIClient", client.path("id"), "create"},
			{"agent", "Agent", aid, "update"},
			{"agent", "Agent", aid, "create"},
			{"agent", "Webhook", hid, "secret"},
			{"client", "Webhook", hid, "create"},
			{"agent", "ChatProfile", pid, "key"},
			{"agent", "ChatProfile", pid, "create"},
		}
		if len(rows) != len(want) {
			t.Fatalf("%d audit rows, want %d: %s", len(rows), len(want), raw)
		}
		for i, w := range want {
			e := rows[i]
			if e.ActorType != w.actor || e.Entity != w.entity || e.EntityID != w.id || e.Action != w.action ||
				e.Address != "127.0.0.1" || e.ActorID == 0 || e.ActorName == "" || e.At.IsZero() {
				t.Errorf("row %d: %+v, want %+v", i, e, w)
			}
		}
		if c := rows[1].Changes; c["password_hash"] != "changed" || !strings.Contains(jsonText(t, c["name"]), `"to":"Renamed Agent"`) {
			t.Errorf("agent update's changes %v", c)
		}
		if c := rows[3].Changes; c["secret"] != "changed" {
			t.Errorf("webhook rotation's changes %v", c)
		}
		if c := rows[6].Changes; c["identity"] != "changed" || c["config_key"] != "changed" || c["name"] == nil {
			t.Errorf("profile create's changes %v", c)
		}
		for _, secret := range []string{rotated.path("secret"), hook.path("secret"), client.path("clientSecret"),
			profile.path("key"), testHS256, password, "$2a$", "argon2"} {
			if secret != "" && strings.Contains(raw, secret) {
				t.Errorf("the audit log holds a secret %q: %s", secret, raw)
			}
		}

		// Filters and paging.
		for _, tc := range []struct {
			query string
			n     int
		}{
			{"entity=Webhook", 2},
			{"entity=Agent&entityId=" + aid, 2},
			{"actor=client:" + strconv.FormatInt(f.adminClientID(t), 10), 1},
			{"from=" + url.QueryEscape(start) + "&limit=3", 3},
			{"from=" + url.QueryEscape(start) + "&offset=6", 1},
			{"to=" + url.QueryEscape(start), 0},
		} {
			if got, raw := f.auditLog(t, tc.query); len(got) != tc.n {
				t.Errorf("?%s: %d rows, want %d: %s", tc.query, len(got), tc.n, raw)
			}
		}
		for q, field := range map[string]string{"actor=someone": "actor", "from=yesterday": "from", "limit=-1": "limit"} {
			wantError(t, f.call(t, f.admin, "GET", "/api/AuditLog?"+q, nil), 400, protocol.CodeInvalidRequest, field)
		}
		wantError(t, f.call(t, f.agent, "GET", "/api/AuditLog", nil), 403, protocol.CodeForbidden, "admin")

		// A user's erasure, by an API client with users:write.
		u := must(t, f.call(t, f.admin, "POST", "/api/User", map[string]any{"email": "gone@api.test", "password": password}), 201)
		must(t, f.call(t, f.usersClient, "POST", "/api/User/"+u.path("id")+"/erase", nil), 200)
		rows, raw = f.auditLog(t, "entity=User&entityId="+u.path("id"))
		if len(rows) != 2 || rows[0].Action != "erase" || rows[0].ActorType != "client" || rows[1].Action != "create" ||
			rows[1].Changes["password_hash"] != "changed" {
			t.Errorf("the user's audit rows: %s", raw)
		}
	})
}

// adminClientID is the id of the fixture's admin API client.
func (f *apiFixture) adminClientID(t *testing.T) int64 {
	t.Helper()
	c, err := f.st.GetAPIClientByClientID(t.Context(), "fixture-admin")
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
