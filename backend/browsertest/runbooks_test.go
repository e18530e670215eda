package browsertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
	"halochat/backend/testenv/loopback"
)

// runbook stores a runbook with that id and name (no outputs) for the
// flow editor to pick.
func (s *stack) runbook(t *testing.T, id, name string) {
	t.Helper()
	if err := s.store.CreateRunbook(context.Background(), &store.Runbook{ID: id, Name: name, URL: "https://rb.example/" + id}); err != nil {
		t.Fatal(err)
	}
}

// signedReceiver is a runbook endpoint on loopback that answers only
// calls signed with the stored secret of the runbook they name, and
// counts them.
func signedReceiver(t *testing.T, st func() *store.Store) (*httptest.Server, *atomic.Int32) {
	var signed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rb, err := st().GetRunbook(r.Context(), r.Header.Get(protocol.HeaderRunbook))
		if err != nil || r.Header.Get(protocol.HeaderSignature) != chats.Sign(rb.Secret, body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		signed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"account": {"tier": "gold"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &signed
}

// TestAdminRunbooksPageCreatesTestsAndFlowsPickByName: the admin makes a
// runbook on its page (the secret shown once), tests it against a real
// signed endpoint (status, latency, answer, variables), picks it by name
// in the flow editor (its outputs copied into the step), renames it
// without breaking the flow, and cannot delete it while the flow calls it.
func TestAdminRunbooksPageCreatesTestsAndFlowsPickByName(t *testing.T) {
	var s *stack
	rcv, signed := signedReceiver(t, func() *store.Store { return s.store })
	s = startStackWith(t, loopback.Options{OutboundAllow: []string{rcv.Listener.Addr().String()}})
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.Allow("409 (Conflict)")
	b.signIn(t, s, s.demo.Admin.Email, s.demo.Admin.Password)
	ctx := context.Background()

	b.openConsole(t, s.serviceURL+"/console/admin/runbooks")
	waitText(t, b.Ctx, ".cc-nav .cc-active", "Runbooks")
	for id, v := range map[string]string{"rb-name": "CRM lookup", "rb-url": rcv.URL + "/account", "rb-timeoutSeconds": "5",
		"rb-outputs": "account.tier tier text"} {
		b.setValue(t, id, v)
	}
	click(t, b.Ctx, "#rb-create", "Create runbook")
	waitText(t, b.Ctx, "#rb-secret", "shown this once")
	rb, err := s.store.GetRunbookByName(ctx, "CRM lookup")
	if err != nil {
		t.Fatal(err)
	}
	if shown := b.eval(t, `document.getElementById("rb-secret-value").textContent`); shown != rb.Secret {
		t.Errorf("the page shows the secret %q, the store holds %q", shown, rb.Secret)
	}
	if rb.URL != rcv.URL+"/account" || rb.TimeoutMS != 5000 || len(rb.Outputs) != 1 || rb.Outputs[0].Variable != "tier" {
		t.Errorf("stored %+v", rb)
	}

	// Test: a real signed call.
	click(t, b.Ctx, fmt.Sprintf(`tr[data-id=%q] .cc-edit`, rb.ID), "Edit")
	b.waitValue(t, "rb-e-name", "CRM lookup")
	click(t, b.Ctx, "#rb-test-run", "Test")
	waitText(t, b.Ctx, "#rb-test-status", "HTTP 200")
	waitText(t, b.Ctx, "#rb-test-vars", "gold")
	waitText(t, b.Ctx, "#rb-test-answer", `"tier": "gold"`)
	waitText(t, b.Ctx, "#rb-test-latency", " ms")
	waitText(t, b.Ctx, "#rb-test-outcome", "Success")
	if n := signed.Load(); n != 1 {
		t.Errorf("the endpoint got %d correctly signed calls, want 1", n)
	}
	b.docScreenshot(t, "console-runbooks")

	pickInFlowEditor(t, s, b, rb)

	// Renamed: the flow still calls it, and the editor shows the new name.
	rb.Name = "CRM lookup v2"
	if err := s.store.UpdateRunbook(ctx, rb); err != nil {
		t.Fatal(err)
	}
	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	click(t, b.Ctx, ".cc-flow-link", "Picks a runbook")
	waitText(t, b.Ctx, "#fl-version", "Version 1")
	b.waitValue(t, "st-1-runbook", rb.ID)
	if got := b.eval(t, `(function(){var e=document.getElementById("st-1-runbook"); return e.options[e.selectedIndex].text})()`); got != "CRM lookup v2" {
		t.Errorf("the flow editor shows the renamed runbook as %q", got)
	}

	// Deleting it is asked for, then refused: the flow calls it.
	b.openConsole(t, s.serviceURL+"/console/admin/runbooks")
	click(t, b.Ctx, fmt.Sprintf(`tr[data-id=%q] .cc-edit`, rb.ID), "Edit")
	click(t, b.Ctx, "#rb-delete", "Delete")
	waitText(t, b.Ctx, "#rb-delete-confirm-box", "keeps it from being deleted")
	b.ExpectBanner(`flow "Picks a runbook"`)
	click(t, b.Ctx, "#rb-delete-confirm", "Delete the runbook")
	waitText(t, b.Ctx, "#rb-edit .cc-error", `flow "Picks a runbook"`)
	if _, err := s.store.GetRunbook(ctx, rb.ID); err != nil {
		t.Errorf("the runbook a flow calls was deleted: %v", err)
	}
}

// pickInFlowEditor makes a flow whose runbook step picks rb by name from
// the select: its outputs become the step's, and the flow saves rb's id.
func pickInFlowEditor(t *testing.T, s *stack, b *Browser, rb *store.Runbook) {
	t.Helper()
	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	b.newFlow(t, "Picks a runbook", flow.KindRunbook, flow.KindEnd)
	names := b.eval(t, `Array.from(document.getElementById("st-1-runbook").options).map(function(o){return o.text}).join("|")`)
	if !strings.Contains(names, "|"+rb.Name) {
		t.Fatalf("the runbook select lists %q, want %q among them", names, rb.Name)
	}
	b.js(t, `(function(){var e=document.getElementById("st-1-runbook"); e.value=`+jsString(rb.ID)+`; e.dispatchEvent(new Event("change", {bubbles: true}))})()`)
	b.waitValue(t, "st-1-out-0-path", "account.tier")
	b.waitValue(t, "st-1-out-0-var", "tier")
	b.setValue(t, "st-1-success", "2")
	b.setValue(t, "st-1-failure", "2")
	b.setValue(t, "st-2-text", "Tier {{var.tier}}.")
	click(t, b.Ctx, "#fl-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved as version 1")
	f, err := s.store.GetFlowByName(context.Background(), "Picks a runbook")
	if err != nil {
		t.Fatal(err)
	}
	fv, err := s.store.GetFlowVersion(context.Background(), f.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := flow.Parse(fv.Document)
	if err != nil {
		t.Fatal(err)
	}
	if st := parsed.Step(1); st == nil || st.Runbook == nil || st.Runbook.Runbook != rb.ID || len(st.Runbook.Outputs) != 1 ||
		st.Runbook.Outputs[0] != rb.Outputs[0] {
		t.Errorf("stored step 1 %+v, want runbook %s with its outputs %+v", st, rb.ID, rb.Outputs)
	}
}
