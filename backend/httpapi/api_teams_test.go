package httpapi

import (
	"context"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/testenv"
)

// TestTeamAPI: create (201, defaults), read, update, refusals naming
// their field (nothing stored), admins only, delete; an agent's cap.
func TestTeamAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		ctx := context.Background()
		agent := must(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "routed@api.test", "name": "Routed",
			"role": "agent", "password": "a long password"}), 201)
		if agent.path("maxChats") != "5" {
			t.Fatalf("a new agent's cap: %s, want 5", agent.path("maxChats"))
		}
		id := agent.path("id")
		capped := must(t, f.call(t, f.admin, "PUT", "/api/Agent/"+id, map[string]any{"email": "routed@api.test", "name": "Routed",
			"role": "agent", "maxChats": 2}), 200)
		if capped.path("maxChats") != "2" {
			t.Fatalf("cap after PUT: %s", capped.raw)
		}
		kept := must(t, f.call(t, f.admin, "PUT", "/api/Agent/"+id, map[string]any{"email": "routed@api.test", "name": "Routed", "role": "agent"}), 200)
		if kept.path("maxChats") != "2" {
			t.Fatalf("a PUT without maxChats changed the cap: %s", kept.raw)
		}
		wantError(t, f.call(t, f.admin, "PUT", "/api/Agent/"+id, map[string]any{"email": "routed@api.test", "name": "Routed",
			"role": "agent", "maxChats": -1}), 400, protocol.CodeInvalidRequest, "maxChats: must be between 1 and")

		created := must(t, f.call(t, f.admin, "POST", "/api/Team", map[string]any{"name": " Billing ", "members": []int64{mustID(t, id), f.adminAgentID}}), 201)
		tid := created.path("id")
		if created.path("name") != "Billing" || created.path("mode") != "manual" || created.path("acceptTimeout") != "60" {
			t.Fatalf("created %s, want name Billing, mode manual, acceptTimeout 60", created.raw)
		}
		team, err := f.st.GetTeam(ctx, mustID(t, tid))
		if err != nil || len(team.Members) != 2 {
			t.Fatalf("stored team %+v, %v", team, err)
		}
		up := must(t, f.call(t, f.admin, "PUT", "/api/Team/"+tid, map[string]any{"name": "Billing", "mode": "auto",
			"members": []int64{mustID(t, id)}, "acceptTimeout": 0}), 200)
		if up.path("mode") != "auto" || up.path("acceptTimeout") != "0" {
			t.Fatalf("updated %s", up.raw)
		}
		must(t, f.call(t, f.admin, "GET", "/api/Team/"+tid, nil), 200)
		audit := must(t, f.call(t, f.admin, "GET", "/api/AuditLog?entity=Team&entityId="+tid, nil), 200)
		if rows := audit.body.([]any); len(rows) != 2 || !strings.Contains(audit.raw, `"mode"`) || !strings.Contains(audit.raw, `"members"`) {
			t.Fatalf("the team's audit rows: %s; want its create and update, with mode and members", audit.raw)
		}
		if list := must(t, f.call(t, f.admin, "GET", "/api/Team", nil), 200); len(list.body.([]any)) != 1 {
			t.Fatalf("list %s", list.raw)
		}
		for _, c := range []struct {
			name string
			body map[string]any
			says string
		}{
			{"no name", map[string]any{"name": " "}, "name: is required"},
			{"an unknown mode", map[string]any{"name": "X", "mode": "round-robin"}, `mode: must be "manual" or "auto"`},
			{"a negative timeout", map[string]any{"name": "X", "acceptTimeout": -5}, "acceptTimeout: must be between 0"},
			{"a member who is no agent", map[string]any{"name": "X", "members": []int64{mustID(t, id), 999999}}, "members[1]: no agent 999999"},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantError(t, f.call(t, f.admin, "POST", "/api/Team", c.body), 400, protocol.CodeInvalidRequest, c.says)
			})
		}
		wantError(t, f.call(t, f.admin, "POST", "/api/Team", map[string]any{"name": "Billing"}), 409, protocol.CodeConflict, `name: a team "Billing" exists`)
		wantError(t, f.call(t, f.agent, "GET", "/api/Team", nil), 403, "", "")
		if teams, _ := f.st.ListTeams(ctx); len(teams) != 1 {
			t.Fatalf("refused creates stored teams: %d", len(teams))
		}
		if r := f.call(t, f.admin, "DELETE", "/api/Team/"+tid, nil); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
		wantError(t, f.call(t, f.admin, "GET", "/api/Team/"+tid, nil), 404, protocol.CodeNotFound, "no team with id")
	})
}
