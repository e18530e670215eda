package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// Admins keep the canned responses; agents read them; a bad one is
// refused naming its field; agents in teams see everyone's and their
// teams' once AgentTeams says which.
func TestCannedResponseAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		hello := must(t, f.call(t, f.admin, "POST", "/api/CannedResponse", map[string]any{
			"shortcut": "/hello", "text": "Hi {{user.firstname|there}}, {{agent.name}} here.\nHow can I help?"}), 201)
		id := hello.path("id")
		if hello.path("shortcut") != "hello" || !strings.Contains(hello.path("text"), "\nHow") {
			t.Errorf("created %s", hello.raw)
		}
		team := &store.Team{Name: "Billing", Mode: store.TeamManual}
		if err := f.st.CreateTeam(context.Background(), team); err != nil {
			t.Fatal(err)
		}
		must(t, f.call(t, f.adminClient, "POST", "/api/CannedResponse", map[string]any{"shortcut": "refund", "text": "Refunds take 5 days.", "teamId": team.ID}), 201)
		missing := team.ID + 1000

		for _, tc := range []struct {
			body        map[string]any
			status      int
			code, field string
		}{
			{map[string]any{"shortcut": "", "text": "x"}, 400, protocol.CodeInvalidRequest, "shortcut"},
			{map[string]any{"shortcut": "two words", "text": "x"}, 400, protocol.CodeInvalidRequest, "shortcut"},
			{map[string]any{"shortcut": strings.Repeat("s", 33), "text": "x"}, 400, protocol.CodeInvalidRequest, "shortcut"},
			{map[string]any{"shortcut": "ok", "text": " "}, 400, protocol.CodeInvalidRequest, "text"},
			{map[string]any{"shortcut": "ok", "text": "bell\a"}, 400, protocol.CodeInvalidRequest, "text"},
			{map[string]any{"shortcut": "ok", "text": strings.Repeat("x", 4001)}, 400, protocol.CodeInvalidRequest, "text"},
			{map[string]any{"shortcut": "ok", "text": "x", "teamId": 0}, 400, protocol.CodeInvalidRequest, "teamId"},
			{map[string]any{"shortcut": "ok", "text": "x", "teamId": missing}, 400, protocol.CodeInvalidRequest, "teamId"},
			{map[string]any{"shortcut": "hello", "text": "again"}, 409, protocol.CodeConflict, "shortcut"},
		} {
			wantError(t, f.call(t, f.admin, "POST", "/api/CannedResponse", tc.body), tc.status, tc.code, tc.field)
		}
		wantError(t, f.call(t, f.agent, "POST", "/api/CannedResponse", map[string]any{"shortcut": "mine", "text": "x"}), 403, protocol.CodeForbidden, "admin")

		// A team that does not exist is refused on update too, naming teamId.
		wantError(t, f.call(t, f.admin, "PUT", "/api/CannedResponse/"+id, map[string]any{"shortcut": "hi", "text": "Hello!", "teamId": missing}), 400, protocol.CodeInvalidRequest, "teamId")
		must(t, f.call(t, f.admin, "PUT", "/api/CannedResponse/"+id, map[string]any{"shortcut": "hi", "text": "Hello!"}), 200)
		list := must(t, f.call(t, f.agent, "GET", "/api/CannedResponse", nil), 200)
		if !strings.Contains(list.raw, `"shortcut":"hi"`) || !strings.Contains(list.raw, fmt.Sprintf(`"teamId":%d`, team.ID)) {
			t.Errorf("the agent's list %s", list.raw)
		}
		if rows, raw := f.auditLog(t, "entity=CannedResponse"); len(rows) != 3 || rows[0].Action != "update" {
			t.Errorf("audit rows %s", raw)
		}

		// An agent in no team sees only those for every agent.
		f.api.AgentTeams = func(context.Context, int64) ([]int64, error) { return nil, nil }
		list = must(t, f.call(t, f.agent, "GET", "/api/CannedResponse", nil), 200)
		if !strings.Contains(list.raw, `"shortcut":"hi"`) || strings.Contains(list.raw, "refund") {
			t.Errorf("the teamless agent's list %s", list.raw)
		}
		f.api.AgentTeams = func(context.Context, int64) ([]int64, error) { return []int64{team.ID}, nil }
		if list = must(t, f.call(t, f.agent, "GET", "/api/CannedResponse", nil), 200); !strings.Contains(list.raw, "refund") {
			t.Errorf("the team's agent's list %s", list.raw)
		}

		must(t, f.call(t, f.admin, "DELETE", "/api/CannedResponse/"+id, nil), 204)
		wantError(t, f.call(t, f.admin, "GET", "/api/CannedResponse/"+id, nil), 404, protocol.CodeNotFound, "canned response")

		// The team deleted, its responses are kept, as every agent's: the
		// teamless agent now sees them.
		must(t, f.call(t, f.admin, "DELETE", fmt.Sprintf("/api/Team/%d", team.ID), nil), 204)
		f.api.AgentTeams = func(context.Context, int64) ([]int64, error) { return nil, nil }
		list = must(t, f.call(t, f.agent, "GET", "/api/CannedResponse", nil), 200)
		if !strings.Contains(list.raw, "refund") || !strings.Contains(list.raw, `"teamId":null`) {
			t.Errorf("after the team's delete, the teamless agent's list %s", list.raw)
		}
		wantError(t, f.call(t, f.admin, "DELETE", fmt.Sprintf("/api/Team/%d", team.ID), nil), 404, protocol.CodeNotFound, "team")
	})
}
