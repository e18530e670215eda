package chatapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// runbookFlow: a question, a condition on a chat custom field, the
// runbook (its answer mapped to a typed variable), a condition on that
// variable, and messages for each branch.
func runbookFlow(name, runbook string) *flow.Flow {
	return &flow.Flow{Name: name, StartStep: 1, NextStepNumber: 9, Steps: []flow.Step{
		{Number: 1, Kind: flow.KindQuestion, Text: "Your name?", Next: 2,
			Question: &flow.Question{Variable: "name", Validation: flow.Validation{Required: true}}},
		{Number: 2, Kind: flow.KindCondition, Condition: &flow.Condition{Match: flow.MatchAll, True: 3, False: 8,
			Criteria: []flow.Criterion{{Field: flow.FieldRef{Source: flow.SourceChat, Name: "Customer Tier"}, Op: "equals", Value: "gold"}}}},
		{Number: 3, Kind: flow.KindRunbook, Runbook: &flow.RunbookStep{Runbook: runbook, Success: 4, Failure: 7,
			Outputs: []flow.RunbookOutput{{Path: "data.credit", Variable: "credit", Type: flow.TypeNumber}}}},
		{Number: 4, Kind: flow.KindCondition, Condition: &flow.Condition{Match: flow.MatchAll, True: 5, False: 6,
			Criteria: []flow.Criterion{{Field: flow.FieldRef{Source: flow.SourceVariable, Name: "credit"}, Op: "greater_than", Value: "100"}}}},
		{Number: 5, Kind: flow.KindEnd, Text: "Plenty of credit: {{var.credit}}"},
		{Number: 6, Kind: flow.KindEnd, Text: "Low credit: {{var.credit}}"},
		{Number: 7, Kind: flow.KindEnd, Text: "Lookup failed"},
		{Number: 8, Kind: flow.KindEnd, Text: "Not gold"},
	}}
}

func TestRunbooks(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var calls atomic.Int32
		var lastBody atomic.Value
		var receiverSecret sync.Map // runbook id → the secret the receiver verifies with, when not the stored one
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			body, _ := io.ReadAll(r.Body)
			rb, _ := e.st.GetRunbook(r.Context(), r.Header.Get(protocol.HeaderRunbook))
			if rb == nil {
				http.Error(w, "unknown runbook", http.StatusNotFound)
				return
			}
			key := rb.Secret
			if s, ok := receiverSecret.Load(rb.ID); ok {
				key = s.(string)
			}
			if r.Header.Get(protocol.HeaderSignature) != chats.Sign(key, body) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			lastBody.Store(body)
			switch r.URL.Path {
			case "/ok":
				_, _ = w.Write([]byte(`{"data":{"credit":250}}`))
			case "/low":
				_, _ = w.Write([]byte(`{"data":{"credit":5}}`))
			case "/fail":
				http.Error(w, "broken", http.StatusInternalServerError)
			case "/slow":
				select {
				case <-time.After(3 * time.Second):
				case <-r.Context().Done():
				}
				_, _ = w.Write([]byte(`{"data":{"credit":250}}`))
			}
		}))
		defer target.Close()
		tier, err := e.st.GetCustomFieldByName(ctx, store.EntityChat, "CFcustomerTier")
		if err != nil {
			t.Fatal(err)
		}
		guarded := e.node(nodeOpts{guardRunbooks: true})
		open := e.node(nodeOpts{})
		for _, tc := range []struct {
			name, path string
			timeout    int64
			secret     string
			node       *node
			gold       bool
			want       string
			called     bool
		}{
			{"success", "/ok", 0, "", open, true, "Plenty of credit: 250", true},
			{"success, other branch", "/low", 0, "", open, true, "Low credit: 5", true},
			{"non-2xx", "/fail", 0, "", open, true, "Lookup failed", true},
			{"timeout", "/slow", 300, "", open, true, "Lookup failed", true},
			{"wrong signature", "/ok", 0, "wrong", open, true, "Lookup failed", true},
			{"loopback refused by the SSRF guard", "/ok", 0, "", guarded, true, "Lookup failed", false},
			{"condition false: no call", "/ok", 0, "", open, false, "Not gold", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := "rb-" + strings.ReplaceAll(tc.name, " ", "-")
				rb := &store.Runbook{ID: id, URL: target.URL + tc.path, TimeoutMS: tc.timeout}
				if err := e.st.CreateRunbook(ctx, rb); err != nil {
					t.Fatal(err)
				}
				if tc.secret != "" { // the receiver knows another secret than the sender
					receiverSecret.Store(id, tc.secret)
				}
				p := e.profileWithFlow(runbookFlow("flow "+id, id), nil)
				resp := tc.node.mustStart(protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key})
				if tc.gold {
					if err := e.st.SetChatFieldValues(ctx, resp.ChatID, []store.ChatFieldValue{{FieldID: tier.ID, Value: "gold"}}); err != nil {
						t.Fatal(err)
					}
				}
				before := calls.Load()
				v := visitor(t, tc.node, resp.ChatID, resp.ResumeSecret, resp.Chat.LastSeq)
				start := time.Now()
				sendText(v, "n1", "Jane")
				end := v.messagesUntil(resp.ChatID, isEnd)
				if got := end[len(end)-2].Text; got != tc.want {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
				if (calls.Load() > before) != tc.called {
					t.Fatalf("runbook called: %v, want %v", calls.Load() > before, tc.called)
				}
				if tc.timeout > 0 && time.Since(start) > 2*time.Second {
					t.Fatalf("timeout took %v", time.Since(start))
				}
				if tc.name == "success" {
					var req protocol.RunbookRequest
					if err := json.Unmarshal(lastBody.Load().([]byte), &req); err != nil {
						t.Fatal(err)
					}
					if req.ChatID != resp.ChatID || req.ChatFields["CFcustomerTier"] != "gold" || req.Variables["name"] != "Jane" || req.Runbook != id || req.Step != 3 {
						t.Fatalf("runbook request: %+v", req)
					}
				}
			})
		}
	})
}
