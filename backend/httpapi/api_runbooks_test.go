package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// runbookReceiver is a runbook endpoint on loopback: it checks each
// call's signature with the secret it was given (401 otherwise), keeps
// the calls and answers a fixed JSON body, after delay.
type runbookReceiver struct {
	srv    *httptest.Server
	delay  time.Duration
	mu     sync.Mutex
	secret string
	calls  []protocol.RunbookRequest
	hits   int
}

func newRunbookReceiver(t *testing.T, delay time.Duration) *runbookReceiver {
	rr := &runbookReceiver{delay: delay}
	rr.srv = httptest.NewServer(http.HandlerFunc(rr.serve))
	t.Cleanup(rr.srv.Close)
	return rr
}

func (rr *runbookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rr.mu.Lock()
	rr.hits++
	secret := rr.secret
	rr.mu.Unlock()
	if r.Header.Get(protocol.HeaderSignature) != chats.Sign(secret, body) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req protocol.RunbookRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Runbook != r.Header.Get(protocol.HeaderRunbook) {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rr.mu.Lock()
	rr.calls = append(rr.calls, req)
	rr.mu.Unlock()
	select {
	case <-time.After(rr.delay):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"account": {"tier": "gold", "orders": 3}}`)
}

func (rr *runbookReceiver) setSecret(s string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.secret = s
}

// seen returns the calls kept and how many requests came.
func (rr *runbookReceiver) seen() ([]protocol.RunbookRequest, int) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]protocol.RunbookRequest(nil), rr.calls...), rr.hits
}

func (rr *runbookReceiver) addr() string { return rr.srv.Listener.Addr().String() }

func runbookBody(name, url string, timeout int) map[string]any {
	return map[string]any{"name": name, "url": url, "timeoutSeconds": timeout, "outputs": []map[string]any{
		{"path": "account.tier", "variable": "tier", "type": "text"},
		{"path": "account.orders", "variable": "orders", "type": "number"}}}
}

func TestRunbookAPIValidates(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		with := func(change func(m map[string]any)) map[string]any {
			m := runbookBody("Account", "https://rb.example/account", 10)
			change(m)
			return m
		}
		for _, tt := range []struct {
			name string
			body map[string]any
			says string
		}{
			{"no name", with(func(m map[string]any) { m["name"] = " " }), "name: is required"},
			{"no url", with(func(m map[string]any) { delete(m, "url") }), "url: is required"},
			{"ftp url", with(func(m map[string]any) { m["url"] = "ftp://rb.example/" }), "url:"},
			{"relative url", with(func(m map[string]any) { m["url"] = "/account" }), "url:"},
			{"url with a password", with(func(m map[string]any) { m["url"] = "https://u:p@rb.example/" }), "url:"},
			{"timeout 0", with(func(m map[string]any) { m["timeoutSeconds"] = 0 }), "timeoutSeconds: 0 is not 1 to 60"},
			{"timeout 61", with(func(m map[string]any) { m["timeoutSeconds"] = 61 }), "timeoutSeconds: 61 is not 1 to 60"},
			{"bad path", with(func(m map[string]any) { m["outputs"].([]map[string]any)[1]["path"] = "account..orders" }), "outputs[1].path:"},
			{"bad variable", with(func(m map[string]any) { m["outputs"].([]map[string]any)[0]["variable"] = "1tier" }), "outputs[0].variable:"},
			{"bad type", with(func(m map[string]any) { m["outputs"].([]map[string]any)[0]["type"] = "colour" }), "outputs[0].type:"},
			{"variable twice", with(func(m map[string]any) { m["outputs"].([]map[string]any)[1]["variable"] = "tier" }), "outputs[1].variable:"},
			{"id given", with(func(m map[string]any) { m["id"] = "mine" }), "id:"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, f.call(t, f.admin, "POST", "/api/Runbook", tt.body), 400, protocol.CodeInvalidRequest, tt.says)
			})
		}
		all, err := f.st.ListRunbooks(context.Background())
		if err != nil || len(all) != 0 {
			t.Fatalf("refused creates stored %v (%v)", all, err)
		}
		wantError(t, f.call(t, f.agent, "GET", "/api/Runbook", nil), 403, protocol.CodeForbidden, "")
		wantError(t, f.call(t, f.admin, "GET", "/api/Runbook/nope", nil), 404, protocol.CodeNotFound, "nope")
	})
}

// TestRunbookAPISecretShownOnce: the secret is in the create's and the
// rotation's answers and in no GET; names are unique; a rename keeps the id.
func TestRunbookAPISecretShownOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		created := must(t, f.call(t, f.admin, "POST", "/api/Runbook", runbookBody("Account", "https://rb.example/a", 5)), 201)
		id, secret := created.path("id"), created.path("secret")
		if id == "" || len(secret) < 32 || created.path("timeoutSeconds") != "5" {
			t.Fatalf("create answered %s", created.raw)
		}
		wantError(t, f.call(t, f.admin, "POST", "/api/Runbook", runbookBody("Account", "https://rb.example/b", 5)), 409, protocol.CodeConflict, "name:")
		renamed := must(t, f.call(t, f.admin, "PUT", "/api/Runbook/"+id, runbookBody("Account v2", "https://rb.example/a2", 7)), 200)
		if renamed.path("id") != id || renamed.path("name") != "Account v2" || renamed.path("url") != "https://rb.example/a2" {
			t.Fatalf("update answered %s", renamed.raw)
		}
		rotated := must(t, f.call(t, f.admin, "POST", "/api/Runbook/"+id+"/secret", nil), 200)
		if s := rotated.path("secret"); len(s) < 32 || s == secret {
			t.Fatalf("rotate answered secret %q (was %q)", s, secret)
		}
		rb, err := f.st.GetRunbook(context.Background(), id)
		if err != nil || rb.Secret != rotated.path("secret") {
			t.Fatalf("stored secret %v after rotation, want the one answered (%v)", rb, err)
		}
		for _, r := range []reply{
			renamed,
			must(t, f.call(t, f.admin, "GET", "/api/Runbook/"+id, nil), 200),
			must(t, f.call(t, f.admin, "GET", "/api/Runbook", nil), 200),
		} {
			if strings.Contains(r.raw, `"secret"`) || strings.Contains(r.raw, secret) || strings.Contains(r.raw, rb.Secret) {
				t.Errorf("a GET or PUT shows the secret: %s", r.raw)
			}
		}
	})
}

// TestRunbookAPITestCall: the test action calls for real, signed,
// through the outbound guard, and reports status, latency, the answer
// and the variables; a slow runbook times out; an address the
// allow-list does not open is refused before any connection.
func TestRunbookAPITestCall(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		good, slow, victim := newRunbookReceiver(t, 0), newRunbookReceiver(t, 3*time.Second), newRunbookReceiver(t, 0)
		f := newAPIFixture(t, dsn, good.addr(), slow.addr())
		create := func(name, url string, timeout int) (string, string) {
			r := must(t, f.call(t, f.admin, "POST", "/api/Runbook", runbookBody(name, url, timeout)), 201)
			return r.path("id"), r.path("secret")
		}
		goodID, goodSecret := create("Good", good.srv.URL+"/rb", 5)
		slowID, slowSecret := create("Slow", slow.srv.URL+"/rb", 1)
		victimID, victimSecret := create("Victim", victim.srv.URL+"/rb", 5)
		good.setSecret(goodSecret)
		slow.setSecret(slowSecret)
		victim.setSecret(victimSecret)
		sample := protocol.RunbookTestInput{User: map[string]string{"email": "ann@example.com"},
			ChatFields: map[string]string{"CFaccountNumber": "42"}, Variables: map[string]any{"size": 3.0}}
		for _, tt := range []struct {
			name, id                string
			ok                      bool
			status, vars, errorSays string
			minMS, maxMS            int64
		}{
			{name: "signed call answered", id: goodID, ok: true, status: "200", vars: "tier=gold(text) orders=3(number)", maxMS: 2000},
			{name: "times out", id: slowID, status: "0", errorSays: "no answer within its timeout of 1s", minMS: 900, maxMS: 2500},
			{name: "refused by the guard", id: victimID, status: "0", errorSays: "refused by the outbound guard", maxMS: 1000},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := must(t, f.call(t, f.admin, "POST", "/api/Runbook/"+tt.id+"/test", sample), 200)
				var res protocol.RunbookTestResult
				if err := json.Unmarshal([]byte(r.raw), &res); err != nil {
					t.Fatal(err)
				}
				var vars []string
				for _, v := range res.Variables {
					vars = append(vars, v.Variable+"="+v.Value+"("+v.Type+")")
				}
				if res.OK != tt.ok || r.path("status") != tt.status || strings.Join(vars, " ") != tt.vars ||
					!strings.Contains(res.Error, tt.errorSays) || (tt.errorSays == "" && res.Error != "") ||
					res.LatencyMS < tt.minMS || res.LatencyMS > tt.maxMS {
					t.Errorf("test call answered %s; want ok %v status %s vars %q error %q latency %d–%d ms",
						r.raw, tt.ok, tt.status, tt.vars, tt.errorSays, tt.minMS, tt.maxMS)
				}
			})
		}
		calls, _ := good.seen()
		if len(calls) != 1 || !calls[0].Test || calls[0].User["email"] != "ann@example.com" ||
			calls[0].ChatFields["CFaccountNumber"] != "42" || calls[0].Variables["size"] != 3.0 {
			t.Errorf("the receiver got %+v, want one test call with the sample data", calls)
		}
		if _, hits := victim.seen(); hits != 0 {
			t.Errorf("the guard let %d calls reach an address the allow-list does not open", hits)
		}
		// After a rotation the receiver still holding the old secret refuses.
		must(t, f.call(t, f.admin, "POST", "/api/Runbook/"+goodID+"/secret", nil), 200)
		r := must(t, f.call(t, f.admin, "POST", "/api/Runbook/"+goodID+"/test", sample), 200)
		if r.path("ok") != "false" || r.path("status") != "401" || !strings.Contains(r.path("answer"), "bad signature") {
			t.Errorf("a call signed with the new secret to a receiver with the old one answered %s", r.raw)
		}
		wantError(t, f.call(t, f.admin, "POST", "/api/Runbook/"+goodID+"/test", map[string]any{"variables": map[string]any{"x": []int{1}}}),
			400, protocol.CodeInvalidRequest, "variables.x")
	})
}

// runbookFlow is a flow whose step 2 calls runbook id.
func runbookFlow(id string) *flow.Flow {
	return &flow.Flow{Name: "Calls", StartStep: 1, NextStepNumber: 4, Steps: []flow.Step{
		{Number: 1, Kind: flow.KindMessage, Text: "Hi", Next: 2},
		{Number: 2, Kind: flow.KindRunbook, Runbook: &flow.RunbookStep{Runbook: id, Success: 3, Failure: 3}},
		{Number: 3, Kind: flow.KindEnd, Text: "Bye"},
	}}
}

// TestRunbookAPIDeleteInUse: a runbook a flow's current version calls,
// or an older version an open chat runs, cannot be deleted (409 naming
// the flow and step); once neither holds, it can.
func TestRunbookAPIDeleteInUse(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		ctx := context.Background()
		id := must(t, f.call(t, f.admin, "POST", "/api/Runbook", runbookBody("Account", "https://rb.example/a", 5)), 201).path("id")
		fl := must(t, f.call(t, f.admin, "POST", "/api/ChatFlow", protocol.ChatFlowCreate{Name: "Calls", Document: flowDoc(t, runbookFlow(id))}), 201)
		flowID := fl.path("id")
		wantError(t, f.call(t, f.admin, "DELETE", "/api/Runbook/"+id, nil), 409, protocol.CodeConflict, `flow "Calls" (id `+flowID+`) version 1 step 2`)

		// An open chat runs version 1; version 2 no longer calls the runbook.
		p := &store.ChatProfile{Name: "p", Access: store.AccessPortalAndExternal}
		if err := f.st.CreateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		fid, _ := json.Number(flowID).Int64()
		c := &store.Chat{ProfileID: p.ID, Context: store.ContextEmbedded, Status: store.ChatBot, FlowID: fid, FlowVersion: 1}
		if err := f.st.CreateChat(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		noCall := runbookFlow(id)
		noCall.Steps[1] = flow.Step{Number: 2, Kind: flow.KindMessage, Text: "No call", Next: 3}
		must(t, f.call(t, f.admin, "PUT", "/api/ChatFlow/"+flowID, protocol.ChatFlowSave{BaseVersion: 1, Document: flowDoc(t, noCall)}), 200)
		wantError(t, f.call(t, f.admin, "DELETE", "/api/Runbook/"+id, nil), 409, protocol.CodeConflict, "version 1 step 2")

		status, now, reason := store.ChatEnded, f.st.Now(), "test"
		if _, err := f.st.AdvanceChat(ctx, c.ID, store.ChatAdvance{NotEnded: true, Update: store.ChatUpdate{Status: &status, EndedAt: &now, EndReason: &reason}}); err != nil {
			t.Fatal(err)
		}
		must(t, f.call(t, f.admin, "DELETE", "/api/Runbook/"+id, nil), 204)
		wantError(t, f.call(t, f.admin, "GET", "/api/Runbook/"+id, nil), 404, protocol.CodeNotFound, id)
	})
}
