package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/testenv"
)

// tierFlow is a small valid flow: a condition on the chat field CFtier
// and a step a host page may start at.
func tierFlow() *flow.Flow {
	return &flow.Flow{Name: "Support", StartStep: 1, NextStepNumber: 5, Steps: []flow.Step{
		{Number: 1, Kind: flow.KindCondition, Condition: &flow.Condition{Match: flow.Match("all"),
			Criteria: []flow.Criterion{{Field: flow.FieldRef{Source: flow.SourceChat, Name: "CFtier"}, Op: flow.Operator("equals"), Value: "gold"}},
			True:     2, False: 3}},
		{Number: 2, Kind: flow.KindEnd, Text: "Gold"},
		{Number: 3, Kind: flow.KindMessage, Text: "Hello", Next: 4, CanStart: true},
		{Number: 4, Kind: flow.KindEnd, Text: "Bye"},
	}}
}

func flowDoc(t *testing.T, f *flow.Flow) json.RawMessage {
	t.Helper()
	b, err := flow.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestChatFlowAPISavesVersionsAndListsProblemsByStep(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		must(t, f.call(t, f.admin, "POST", "/api/CustomField", map[string]any{"entity": "chat", "name": "CFtier",
			"label": "Customer Tier", "type": "text"}), 201)

		created := must(t, f.call(t, f.admin, "POST", "/api/ChatFlow", map[string]any{"name": "Support"}), 201)
		id := created.path("id")
		if created.path("currentVersion") != "0" {
			t.Fatalf("a new flow is at version %s, want 0", created.path("currentVersion"))
		}
		v1 := must(t, f.call(t, f.admin, "PUT", "/api/ChatFlow/"+id, map[string]any{"baseVersion": 0, "document": flowDoc(t, tierFlow())}), 200)
		if v1.path("version") != "1" || v1.path("document", "name") != "Support" {
			t.Fatalf("first save: %s", v1.raw)
		}

		// A stale base version is a conflict, and stores nothing.
		wantError(t, f.call(t, f.admin, "PUT", "/api/ChatFlow/"+id, map[string]any{"baseVersion": 0, "document": flowDoc(t, tierFlow())}),
			409, protocol.CodeConflict, "version 1")

		// Every problem is listed with its step: an unknown branch
		// target, an unknown chat field, and a reused step number.
		v2 := tierFlow()
		v2.Steps[2].Next = 2
		v2.RemoveStep(4)
		must(t, f.call(t, f.admin, "PUT", "/api/ChatFlow/"+id, map[string]any{"baseVersion": 1, "document": flowDoc(t, v2)}), 200)
		reused := tierFlow() // step 4 again, deleted in version 2
		reused.Steps[0].Condition.Criteria[0].Field.Name = "CFnope"
		reused.Steps[2].Next = 42
		r := f.call(t, f.admin, "PUT", "/api/ChatFlow/"+id, map[string]any{"baseVersion": 2, "document": flowDoc(t, reused)})
		if r.status != 400 || r.errCode() != protocol.CodeInvalidRequest {
			t.Fatalf("invalid flow: %d %s", r.status, r.raw)
		}
		var body struct {
			Error struct {
				Problems []flow.Problem `json:"problems"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.raw), &body); err != nil {
			t.Fatal(err)
		}
		steps := map[int]string{}
		for _, p := range body.Error.Problems {
			steps[p.Step] += p.Message + "; "
		}
		for step, says := range map[int]string{1: "CFnope", 3: "42", 4: "cannot be reused"} {
			if !strings.Contains(steps[step], says) {
				t.Errorf("problems of step %d = %q, want one saying %q (all: %+v)", step, steps[step], says, body.Error.Problems)
			}
		}

		// Versions stay readable; the current one is what GET shows.
		cur := must(t, f.call(t, f.admin, "GET", "/api/ChatFlow/"+id, nil), 200)
		if cur.path("version") != "2" || cur.path("currentVersion") != "2" {
			t.Errorf("current: %s", cur.raw)
		}
		old := must(t, f.call(t, f.admin, "GET", "/api/ChatFlow/"+id+"/versions/1", nil), 200)
		if old.path("version") != "1" || !strings.Contains(old.raw, `"Bye"`) {
			t.Errorf("version 1: %s", old.raw)
		}
		wantError(t, f.call(t, f.admin, "GET", "/api/ChatFlow/"+id+"/versions/9", nil), 404, protocol.CodeNotFound, "version 9")
		list := must(t, f.call(t, f.admin, "GET", "/api/ChatFlow", nil), 200)
		if !strings.Contains(list.raw, `"currentVersion":2`) {
			t.Errorf("list: %s", list.raw)
		}

		// Only admins.
		for _, tok := range []string{f.agent, f.usersClient} {
			if r := f.call(t, tok, "GET", "/api/ChatFlow", nil); r.status != 403 {
				t.Errorf("a non-admin lists flows: %d", r.status)
			}
			if r := f.call(t, tok, "PUT", "/api/ChatFlow/"+id, map[string]any{"baseVersion": 2, "document": flowDoc(t, v2)}); r.status != 403 {
				t.Errorf("a non-admin saves a flow: %d", r.status)
			}
		}
		if r := f.call(t, "", "GET", "/api/ChatFlow/"+id, nil); r.status != 401 {
			t.Errorf("anonymous get: %d", r.status)
		}
	})
}
