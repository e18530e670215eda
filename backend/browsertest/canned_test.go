package browsertest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/backend/store"
)

// demoAgent is the demo agent as stored.
func (s *stack) demoAgent(t *testing.T) *store.Agent {
	t.Helper()
	a, err := s.store.GetAgentByEmail(context.Background(), s.demo.Agent.Email)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// askDelete clicks the Delete… button of the edit form whose ids start
// with prefix and waits for its confirmation box to say asks.
func (b *Browser) askDelete(t *testing.T, prefix, asks string) {
	t.Helper()
	click(t, b.Ctx, "#"+prefix+"-delete", "Delete")
	waitText(t, b.Ctx, "#"+prefix+"-delete-confirm-box", asks)
}

// cannedByShortcut is the stored canned response with that shortcut.
func (s *stack) cannedByShortcut(t *testing.T, shortcut string) store.CannedResponse {
	t.Helper()
	all, err := s.store.ListCannedResponses(context.Background(), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.Shortcut == shortcut {
			return c
		}
	}
	t.Fatalf("no canned response /%s stored: %+v", shortcut, all)
	return store.CannedResponse{}
}

// newCanned fills the canned responses page's create form and waits
// for its answer ok.
func (b *Browser) newCanned(t *testing.T, shortcut, text, team string) {
	t.Helper()
	b.setValue(t, "cr-shortcut", shortcut)
	b.setValue(t, "cr-text", text)
	b.setValue(t, "cr-teamId", team)
	click(t, b.Ctx, "#cr-create", "Create canned response")
}

// TestAdminManagesCannedResponses: the admin creates canned responses
// for a team and for another, a taken shortcut is refused at its field,
// one is edited (a field left empty is refused in the page) and one
// deleted; an agent of the first team then expands it in the composer
// and never sees the other team's.
func TestAdminManagesCannedResponses(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	billing := &store.Team{Name: "Billing", Mode: store.TeamManual, Members: []int64{s.demoAgent(t).ID}}
	sales := &store.Team{Name: "Sales", Mode: store.TeamManual}
	for _, tm := range []*store.Team{billing, sales} {
		if err := s.store.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	billingID, salesID := strconv.FormatInt(billing.ID, 10), strconv.FormatInt(sales.ID, 10)

	b.openConsole(t, s.serviceURL+"/console/admin/canned")
	waitText(t, b.Ctx, ".cc-nav .cc-active", "Canned responses")
	waitText(t, b.Ctx, "#cr-teamId", "Team Sales")
	b.newCanned(t, "refund", "Hi {{user.firstname|there}}, refunds take five days.", billingID)
	waitText(t, b.Ctx, ".cc-ok", "Created /refund.")
	refund := s.cannedByShortcut(t, "refund")
	if refund.TeamID != billing.ID {
		t.Errorf("/refund is for team %d, want %d", refund.TeamID, billing.ID)
	}
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, refund.ID), "team Billing")
	b.newCanned(t, "pitch", "Our yearly plan saves 20%.", salesID)
	waitText(t, b.Ctx, ".cc-ok", "Created /pitch.")
	pitch := s.cannedByShortcut(t, "pitch")

	// A taken shortcut: the API's 409, shown at the field; nothing stored.
	b.newCanned(t, "/refund", "Another text", "-")
	b.expectBanner(t, b.Ctx, ".cc-error", `shortcut: "refund" is another canned response's`)
	fieldError(t, b, "cr-new", "shortcut", "is another canned response's")
	if all, err := s.store.ListCannedResponses(ctx, true, nil); err != nil || len(all) != 2 {
		t.Errorf("after the refusal: %+v, %v", all, err)
	}

	// Edit: the form opens with what is stored; an empty text is refused
	// in the page, then the save goes through.
	b.editRow(t, refund.ID)
	b.waitValue(t, "cr-e-shortcut", "refund")
	b.waitValue(t, "cr-e-teamId", billingID)
	b.waitValue(t, "cr-e-text", refund.Text)
	b.setValue(t, "cr-e-text", " ")
	b.saveRefused(t, "cr", "Not saved: fix the fields marked.", [2]string{"text", "Required."})
	b.setValue(t, "cr-e-shortcut", "refunds")
	b.setValue(t, "cr-e-text", "Hi {{user.firstname|there}}, refunds take five working days.")
	click(t, b.Ctx, "#cr-edit-save", "Save")
	waitText(t, b.Ctx, "#cr-edit .cc-ok", "Saved.")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, refund.ID), "five working days")
	if got, err := s.store.GetCannedResponse(ctx, refund.ID); err != nil || got.Shortcut != "refunds" || got.TeamID != billing.ID ||
		!strings.Contains(got.Text, "five working days") {
		t.Fatalf("stored %+v, %v", got, err)
	}

	// Moved to every agent and back: the select's "every agent" is no team.
	b.setValue(t, "cr-e-teamId", "-")
	click(t, b.Ctx, "#cr-edit-save", "Save")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, refund.ID), "every agent")
	if got, err := s.store.GetCannedResponse(ctx, refund.ID); err != nil || got.TeamID != 0 {
		t.Fatalf("stored %+v, %v; want every agent's", got, err)
	}
	b.setValue(t, "cr-e-teamId", billingID)
	click(t, b.Ctx, "#cr-edit-save", "Save")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, refund.ID), "team Billing")

	// The Billing agent sees /refunds, not Sales' /pitch, and expands it.
	agent := s.agentOnline(t)
	s.widgetChatWith(t, agent)
	if err := chromedp.Do(agent.Ctx, chromedp.WaitVisible(chromedp.ID("cc-input")), chromedp.SendKeys(chromedp.ID("cc-input"), "/")); err != nil {
		t.Fatal(err)
	}
	waitText(t, agent.Ctx, "#cc-canned .cc-canned-pick", "/refunds")
	if got := agent.eval(t, `document.getElementById("cc-canned").textContent`); strings.Contains(got, "pitch") {
		t.Errorf("the Billing agent's suggestions hold Sales' /pitch: %q", got)
	}
	click(t, agent.Ctx, "#cc-canned .cc-canned-pick", "/refunds")
	want := "Hi there, refunds take five working days."
	if _, err := chromedp.Run(agent.Ctx, chromedp.Poll[bool](`document.getElementById("cc-input").value === `+jsString(want),
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the composer holds %q, want %q", agent.eval(t, `document.getElementById("cc-input").value`), want)
	}

	// Delete asks first.
	b.editRow(t, pitch.ID)
	b.waitValue(t, "cr-e-shortcut", "pitch")
	b.askDelete(t, "cr", "Delete /pitch?")
	confirmDelete(t, b, "cr-delete-confirm", "Delete the canned response", "Deleted /pitch.", pitch.ID, s.store.GetCannedResponse)
}

// TestAdminManagesTeams: the Teams page creates a team (a missing name
// refused in the page, at its field), edits its name, mode, timeout and
// members, and deletes it after asking.
func TestAdminManagesTeams(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	agentID := s.demoAgent(t).ID
	agent := strconv.FormatInt(agentID, 10)
	b.openConsole(t, s.serviceURL+"/console/admin/teams")
	waitText(t, b.Ctx, "#tm-new", s.demo.Agent.Email)

	b.setValue(t, "tm-name", " ")
	click(t, b.Ctx, "#tm-create", "Create team")
	b.expectBanner(t, b.Ctx, ".cc-error", "Not created: fix the fields marked.")
	fieldError(t, b, "tm-new", "name", "Required.")

	b.setValue(t, "tm-name", "Support")
	b.setValue(t, "tm-mode", store.TeamAuto)
	b.setValue(t, "tm-acceptTimeout", "90")
	b.js(t, `document.getElementById("tm-member-`+agent+`").click()`)
	click(t, b.Ctx, "#tm-create", "Create team")
	waitText(t, b.Ctx, ".cc-ok", "Created the team Support.")
	teams, err := s.store.ListTeams(ctx)
	if err != nil || len(teams) != 1 {
		t.Fatalf("teams %+v, %v", teams, err)
	}
	team := teams[0]
	if team.Name != "Support" || team.Mode != store.TeamAuto || team.AcceptTimeout != 90 || len(team.Members) != 1 || team.Members[0] != agentID {
		t.Fatalf("stored %+v", team)
	}
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, team.ID), s.demo.Agent.Name)

	b.editRow(t, team.ID)
	b.waitValue(t, "tm-e-name", "Support")
	b.waitValue(t, "tm-e-mode", store.TeamAuto)
	b.waitValue(t, "tm-e-acceptTimeout", "90")
	b.waitValue(t, "tm-e-member-"+agent, "true")
	b.setValue(t, "tm-e-acceptTimeout", "-1")
	b.saveRefused(t, "tm", "Not saved: fix the fields marked.", [2]string{"acceptTimeout", "0 or more"})
	b.setValue(t, "tm-e-name", "Customer care")
	b.setValue(t, "tm-e-mode", store.TeamManual)
	b.setValue(t, "tm-e-acceptTimeout", "0")
	b.js(t, `document.getElementById("tm-e-member-`+agent+`").click()`)
	click(t, b.Ctx, "#tm-edit-save", "Save")
	waitText(t, b.Ctx, "#tm-edit .cc-ok", "Saved.")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, team.ID), "Customer care")
	got, err := s.store.GetTeam(ctx, team.ID)
	if err != nil || got.Name != "Customer care" || got.Mode != store.TeamManual || got.AcceptTimeout != 0 || len(got.Members) != 0 {
		t.Fatalf("stored %+v, %v", got, err)
	}

	b.askDelete(t, "tm", "Delete the team Customer care?")
	confirmDelete(t, b, "tm-delete-confirm", "Delete the team", "Deleted the team Customer care.", team.ID, s.store.GetTeam)
}

// TestAdminSeesTheAuditLog: a team renamed in the Teams page shows in
// the audit page with who renamed it and the name's change; filtered by
// entity, the page lists that entity's rows only.
func TestAdminSeesTheAuditLog(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	team := &store.Team{Name: "Support", Mode: store.TeamManual}
	if err := s.store.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	b.openConsole(t, s.serviceURL+"/console/admin/teams")
	b.editRow(t, team.ID)
	b.waitValue(t, "tm-e-name", "Support")
	b.setValue(t, "tm-e-name", "Customer care")
	click(t, b.Ctx, "#tm-edit-save", "Save")
	waitText(t, b.Ctx, "#tm-edit .cc-ok", "Saved.")
	// Another entity's change, for the filter to leave out.
	b.openConsole(t, s.serviceURL+"/console/admin/canned")
	b.newCanned(t, "thanks", "Thank you!", "-")
	waitText(t, b.Ctx, ".cc-ok", "Created /thanks.")

	b.openConsole(t, s.serviceURL+"/console/admin/audit")
	teamRow := fmt.Sprintf("Team %d", team.ID)
	waitText(t, b.Ctx, "tr[data-audit]", "CannedResponse")
	waitText(t, b.Ctx, "tr[data-audit]", teamRow)
	b.setValue(t, "cc-audit-entity", "Team")
	click(t, b.Ctx, "#cc-audit-search", "Filter")
	onlyTeams := `(function(){var rows=Array.from(document.querySelectorAll("tr[data-audit]")); return rows.length > 0 && rows.every(function(r){return r.textContent.indexOf("CannedResponse") < 0})})()`
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](onlyTeams, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("filtered by Team, the page lists: %s", b.eval(t, `document.querySelector(".cc-table tbody").innerText`))
	}
	row := b.eval(t, `Array.from(document.querySelectorAll("tr[data-audit]")).map(function(r){return r.innerText}).join("\n---\n")`)
	for _, want := range []string{teamRow, "update", "agent:", s.demo.Admin.Name, `name: "Support" → "Customer care"`} {
		if !strings.Contains(row, want) {
			t.Errorf("the audit page's Team rows lack %q:\n%s", want, row)
		}
	}
}
