package browsertest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// waitValue waits until the form element id holds want (the admin
// pages fill an edit form right after rendering it).
func (b *Browser) waitValue(t *testing.T, id, want string) {
	t.Helper()
	js := `(function(){var e=document.getElementById(` + jsString(id) + `); return !!e && (e.type==="checkbox" ? String(e.checked) : e.value) === ` + jsString(want) + `})()`
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("#%s = %q, want %q", id, b.value(t, id), want)
	}
}

// editRow opens the edit form of the listed item id.
func (b *Browser) editRow(t *testing.T, id int64) {
	t.Helper()
	click(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"] .cc-edit`, id), "Edit")
}

// rowGone waits until the list has no row for item id.
func (b *Browser) rowGone(t *testing.T, id int64) {
	t.Helper()
	js := fmt.Sprintf(`!document.querySelector('tr[data-id="%d"]')`, id)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("item %d is still listed: %v", id, err)
	}
}

// confirmDelete clicks an edit form's delete confirmation (#confirm,
// labelled label), waits for the page's answer ok and for the row of item
// id to go, and checks that get no longer finds the item in the store.
func confirmDelete[T any](t *testing.T, b *Browser, confirm, label, ok string, id int64, get func(context.Context, int64) (T, error)) {
	t.Helper()
	click(t, b.Ctx, "#"+confirm, label)
	waitText(t, b.Ctx, ".cc-ok", ok)
	b.rowGone(t, id)
	if _, err := get(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after the delete: %v, want not found", err)
	}
}

// saveRefused saves the edit form of the page whose ids start with prefix
// and waits for the refusal banner and, for each {field, text}, the error
// shown at that field.
func (b *Browser) saveRefused(t *testing.T, prefix, banner string, fieldErrors ...[2]string) {
	t.Helper()
	click(t, b.Ctx, "#"+prefix+"-edit-save", "Save")
	b.expectBanner(t, b.Ctx, "#"+prefix+"-edit .cc-error", banner)
	for _, fe := range fieldErrors {
		fieldError(t, b, prefix+"-edit", fe[0], fe[1])
	}
}

// fieldError waits for the error shown at an edit form's field.
func fieldError(t *testing.T, b *Browser, form, field, want string) {
	t.Helper()
	waitText(t, b.Ctx, fmt.Sprintf(`#%s [data-field=%q] .cc-field-error`, form, field), want)
}

// adminSession is adminConsole for the admin page tests, whose refusals
// (a taken name, a field error) the browser logs.
func adminSession(t *testing.T) (*stack, *Browser) {
	t.Helper()
	return adminConsole(t, "409 (Conflict)", "400 (Bad Request)")
}

// adminConsole starts a stack and a browser logged in to the console as
// the demo admin; the browser's log may hold the allowed errors only.
func adminConsole(t *testing.T, allow ...string) (*stack, *Browser) {
	t.Helper()
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	for _, a := range allow {
		b.Allow(a)
	}
	b.signIn(t, s, s.demo.Admin.Email, s.demo.Admin.Password)
	return s, b
}

// TestAdminEditsAndDeletesCustomFields: the form checks what it can, the
// API's refusals are shown at the field they name, a field a flow's
// condition uses cannot be relabelled or deleted (409, the form keeps
// what was typed), and a delete is asked for twice.
func TestAdminEditsAndDeletesCustomFields(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	region := &store.CustomField{Entity: store.EntityChat, Name: "CFregion", Label: "Region", Type: store.FieldText}
	if err := s.store.CreateCustomField(ctx, region); err != nil {
		t.Fatal(err)
	}
	tier, err := s.store.GetCustomFieldByName(ctx, store.EntityChat, "CFcustomerTier")
	if err != nil {
		t.Fatal(err)
	}

	b.openConsole(t, s.serviceURL+"/console/admin/fields")
	b.editRow(t, region.ID)
	waitText(t, b.Ctx, "#cf-edit h2", "CFregion")
	b.waitValue(t, "cf-e-label", "Region")

	// Checked in the page: nothing reaches the API.
	b.setValue(t, "cf-e-name", "region")
	b.setValue(t, "cf-e-type", "choice")
	b.saveRefused(t, "cf", "Not saved: fix the fields marked.", [2]string{"name", "CF followed by"}, [2]string{"choices", "at least one choice"})
	// Checked by the API (another field has that name): shown at the field.
	b.setValue(t, "cf-e-name", "CFcustomerTier")
	b.setValue(t, "cf-e-choices", "north, south")
	b.saveRefused(t, "cf", `Not saved: name: the chat field "CFcustomerTier" exists already`, [2]string{"name", "exists already"})
	if got, err := s.store.GetCustomField(ctx, region.ID); err != nil || got.Name != "CFregion" || got.Type != store.FieldText {
		t.Fatalf("refused saves changed the field: %+v, %v", got, err)
	}

	b.setValue(t, "cf-e-name", "CFsalesRegion")
	b.setValue(t, "cf-e-label", "Sales region")
	click(t, b.Ctx, "#cf-edit-save", "Save")
	waitText(t, b.Ctx, "#cf-edit .cc-ok", "Saved.")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, region.ID), "north, south")
	got, err := s.store.GetCustomField(ctx, region.ID)
	if err != nil {
		t.Fatal(err)
	}
	var choices []string
	for _, c := range got.Choices {
		choices = append(choices, c.Value)
	}
	if got.Name != "CFsalesRegion" || got.Label != "Sales region" || got.Type != store.FieldChoice || !slices.Equal(choices, []string{"north", "south"}) {
		t.Errorf("stored %+v", got)
	}

	// Delete asks first; Cancel keeps the field.
	click(t, b.Ctx, "#cf-delete", "Delete")
	waitText(t, b.Ctx, "#cf-delete-confirm-box", "Delete the chat field CFsalesRegion?")
	if _, err := s.store.GetCustomField(ctx, region.ID); err != nil {
		t.Fatalf("asking to delete deleted: %v", err)
	}
	confirmDelete(t, b, "cf-delete-confirm", "Delete the field", "Deleted the field CFsalesRegion.", region.ID, s.store.GetCustomField)

	// The demo flow's condition reads CFcustomerTier: a relabel and a
	// delete are refused with the API's reason, and nothing typed is lost.
	b.editRow(t, tier.ID)
	b.waitValue(t, "cf-e-label", tier.Label)
	b.setValue(t, "cf-e-label", "Tier (renamed)")
	b.saveRefused(t, "cf", `cannot relabel chat field CFcustomerTier: a condition uses it in flow "`+s.demo.Flow.Name+`"`)
	if v := b.value(t, "cf-e-label"); v != "Tier (renamed)" {
		t.Errorf("after the refusal the label input holds %q", v)
	}
	click(t, b.Ctx, "#cf-delete", "Delete")
	click(t, b.Ctx, "#cf-delete-confirm", "Delete the field")
	b.expectBanner(t, b.Ctx, "#cf-edit .cc-error", "cannot delete chat field CFcustomerTier")
	waitText(t, b.Ctx, "#cf-edit .cc-error", fmt.Sprintf("step %d", demo.StepTierCondition))
	if got, err := s.store.GetCustomField(ctx, tier.ID); err != nil || got.Label != tier.Label {
		t.Errorf("refused changes reached the store: %+v, %v", got, err)
	}
	if v := b.value(t, "cf-e-label"); v != "Tier (renamed)" {
		t.Errorf("after the refused delete the label input holds %q", v)
	}
}

// TestAdminRenamesAssignsAndDeletesTicketTypes: a rename with fields
// assigned; the demo profile's ticket type cannot be deleted (409).
func TestAdminRenamesAssignsAndDeletesTicketTypes(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	tt := &store.TicketType{Name: "Returns"}
	if err := s.store.CreateTicketType(ctx, tt); err != nil {
		t.Fatal(err)
	}
	fields, err := s.store.ListCustomFields(ctx, store.EntityTicket)
	if err != nil || len(fields) < 2 {
		t.Fatalf("ticket fields %v, %v", fields, err)
	}
	want := []int64{fields[0].ID, fields[1].ID}

	b.openConsole(t, s.serviceURL+"/console/admin/tickettypes")
	b.editRow(t, tt.ID)
	b.waitValue(t, "tt-e-name", "Returns")
	b.setValue(t, "tt-e-name", "  ")
	b.saveRefused(t, "tt", "Not saved: fix the fields marked.", [2]string{"name", "Required."})
	// The demo's ticket type has that name: the API says so at the field.
	b.setValue(t, "tt-e-name", s.demo.TicketType.Name)
	b.saveRefused(t, "tt", "Not saved: name: a ticket type named "+strconv.Quote(s.demo.TicketType.Name)+" exists", [2]string{"name", "exists"})

	b.setValue(t, "tt-e-name", "Returns and refunds")
	for _, id := range want {
		b.js(t, fmt.Sprintf(`document.getElementById("tt-e-field-%d").click()`, id))
	}
	click(t, b.Ctx, "#tt-edit-save", "Save")
	waitText(t, b.Ctx, "#tt-edit .cc-ok", "Saved.")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, tt.ID), fields[1].Label)
	got, err := s.store.GetTicketType(ctx, tt.ID)
	if err != nil || got.Name != "Returns and refunds" {
		t.Fatalf("stored %+v, %v", got, err)
	}
	assigned, err := s.store.TicketTypeFields(ctx, tt.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, f := range assigned {
		ids = append(ids, f.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("assigned fields %v, want %v", ids, want)
	}
	// Reopened, the form shows what is stored.
	b.openConsole(t, s.serviceURL+"/console/admin/tickettypes")
	b.editRow(t, tt.ID)
	b.waitValue(t, "tt-e-name", "Returns and refunds")
	for _, f := range fields {
		b.waitValue(t, fmt.Sprintf("tt-e-field-%d", f.ID), fmt.Sprint(slices.Contains(want, f.ID)))
	}

	// The demo profile logs tickets of the demo type: refused, kept.
	demoType, err := s.store.GetTicketTypeByName(ctx, s.demo.TicketType.Name)
	if err != nil {
		t.Fatal(err)
	}
	b.editRow(t, demoType.ID)
	b.waitValue(t, "tt-e-name", demoType.Name)
	click(t, b.Ctx, "#tt-delete", "Delete")
	click(t, b.Ctx, "#tt-delete-confirm", "Delete the ticket type")
	b.expectBanner(t, b.Ctx, "#tt-edit .cc-error", "is still used by a chat profile or by tickets")
	if _, err := s.store.GetTicketType(ctx, demoType.ID); err != nil {
		t.Errorf("the refused delete removed it: %v", err)
	}

	b.editRow(t, tt.ID)
	b.waitValue(t, "tt-e-name", "Returns and refunds")
	click(t, b.Ctx, "#tt-delete", "Delete")
	confirmDelete(t, b, "tt-delete-confirm", "Delete the ticket type", "Deleted the ticket type Returns and refunds.", tt.ID, s.store.GetTicketType)
}

// TestAdminEditsResetsAndDisablesAgents: name and password reset, an
// e-mail taken (409 at the field), the last admin kept (409), disable
// after a confirmation, enable again.
func TestAdminEditsResetsAndDisablesAgents(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	agent, err := s.store.GetAgentByEmail(ctx, s.demo.Agent.Email)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.store.GetAgentByEmail(ctx, s.demo.Admin.Email)
	if err != nil {
		t.Fatal(err)
	}

	b.openConsole(t, s.serviceURL+"/console/admin/agents")
	b.editRow(t, agent.ID)
	b.waitValue(t, "ag-e-email", agent.Email)
	b.setValue(t, "ag-e-password", "short")
	b.setValue(t, "ag-e-email", "not an address")
	b.saveRefused(t, "ag", "Not saved: fix the fields marked.", [2]string{"password", "At least 10 characters."}, [2]string{"email", "An e-mail address"})
	b.setValue(t, "ag-e-email", s.demo.Admin.Email)
	b.setValue(t, "ag-e-password", "")
	b.saveRefused(t, "ag", "Not saved: email: an agent with "+strconv.Quote(s.demo.Admin.Email)+" exists", [2]string{"email", "an agent with"})

	const newPassword = "a brand new password"
	b.setValue(t, "ag-e-email", agent.Email)
	b.setValue(t, "ag-e-name", "Alex Renamed")
	b.setValue(t, "ag-e-password", newPassword)
	click(t, b.Ctx, "#ag-edit-save", "Save")
	waitText(t, b.Ctx, "#ag-edit .cc-ok", "Saved, with the new password.")
	if v := b.value(t, "ag-e-password"); v != "" {
		t.Errorf("the password stays in the form: %q", v)
	}
	if got, err := s.store.GetAgent(ctx, agent.ID); err != nil || got.Name != "Alex Renamed" || got.Role != store.RoleAgent || got.Disabled {
		t.Errorf("stored %+v, %v", got, err)
	}
	if _, _, err := s.svc.Auth.Login(ctx, agent.Email, newPassword); err != nil {
		t.Errorf("the new password does not log in: %v", err)
	}
	if _, _, err := s.svc.Auth.Login(ctx, agent.Email, s.demo.Agent.Password); err == nil {
		t.Error("the old password still logs in")
	}

	// Disable asks first.
	click(t, b.Ctx, "#ag-disable", "Disable")
	waitText(t, b.Ctx, "#ag-disable-confirm-box", "can no longer log in")
	if got, _ := s.store.GetAgent(ctx, agent.ID); got == nil || got.Disabled {
		t.Fatal("asking to disable disabled")
	}
	click(t, b.Ctx, "#ag-disable-confirm", "Disable Alex Renamed")
	waitText(t, b.Ctx, "#ag-edit .cc-ok", "is disabled")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, agent.ID), "disabled")
	if got, err := s.store.GetAgent(ctx, agent.ID); err != nil || !got.Disabled {
		t.Errorf("after disable: %+v, %v", got, err)
	}
	if _, _, err := s.svc.Auth.Login(ctx, agent.Email, newPassword); err == nil {
		t.Error("a disabled agent logs in")
	}
	click(t, b.Ctx, "#ag-enable", "Enable")
	waitText(t, b.Ctx, "#ag-edit .cc-ok", "is enabled again")
	if _, _, err := s.svc.Auth.Login(ctx, agent.Email, newPassword); err != nil {
		t.Errorf("the enabled agent cannot log in: %v", err)
	}

	// The only admin cannot become an agent.
	b.editRow(t, admin.ID)
	b.waitValue(t, "ag-e-email", admin.Email)
	b.setValue(t, "ag-e-role", store.RoleAgent)
	b.saveRefused(t, "ag", "is the last enabled admin")
	if got, err := s.store.GetAgent(ctx, admin.ID); err != nil || got.Role != store.RoleAdmin {
		t.Errorf("the last admin: %+v, %v", got, err)
	}
}

// TestAdminEditsRotatesAndDeletesAPIClients: permissions, chat profiles
// and name; a disable, a new secret and a delete each asked for first;
// the new secret shown once and the only one that works.
func TestAdminEditsRotatesAndDeletesAPIClients(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	c, err := s.store.GetAPIClientByClientID(ctx, s.demo.APIClient.ClientID)
	if err != nil {
		t.Fatal(err)
	}

	b.openConsole(t, s.serviceURL+"/console/admin/apiclients")
	b.editRow(t, c.ID)
	b.waitValue(t, "ac-e-name", c.Name)
	b.waitValue(t, "ac-e-perm-users-write", "true")
	b.waitValue(t, "ac-e-perm-admin", fmt.Sprint(slices.Contains(c.Permissions, "admin")))
	b.setValue(t, "ac-e-name", "")
	b.saveRefused(t, "ac", "Not saved: fix the fields marked.", [2]string{"name", "Required."})

	b.setValue(t, "ac-e-name", "CRM backend (renamed)")
	b.js(t, `document.getElementById("ac-e-perm-users-write").click()`)
	b.js(t, `document.getElementById("ac-e-perm-admin").checked = true`)
	// Its ChatMatchingData: every profile until one is checked, as the page says.
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, c.ID), "every profile")
	waitText(t, b.Ctx, "#ac-edit", "None checked: every chat profile.")
	b.waitValue(t, "ac-e-prof-"+s.demo.Profile.ID, "false")
	b.js(t, `document.getElementById("ac-e-prof-`+s.demo.Profile.ID+`").click()`)
	click(t, b.Ctx, "#ac-edit-save", "Save")
	waitText(t, b.Ctx, "#ac-edit .cc-ok", "Saved.")
	got, err := s.store.GetAPIClient(ctx, c.ID)
	if err != nil || got.Name != "CRM backend (renamed)" || !slices.Equal([]string(got.Permissions), []string{"admin"}) || got.Disabled ||
		!slices.Equal([]string(got.ProfileIDs), []string{s.demo.Profile.ID}) {
		t.Fatalf("stored %+v, %v", got, err)
	}
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, c.ID), s.demo.Profile.Name)

	// Disabling asks first.
	b.js(t, `document.getElementById("ac-e-disabled").click()`)
	click(t, b.Ctx, "#ac-edit-save", "Save")
	waitText(t, b.Ctx, "#ac-disable-confirm-box", "Its integrations stop working")
	if got, _ := s.store.GetAPIClient(ctx, c.ID); got == nil || got.Disabled {
		t.Fatal("asking to disable disabled")
	}
	click(t, b.Ctx, "#ac-disable-confirm", "Disable the client")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, c.ID), "disabled")
	if got, err := s.store.GetAPIClient(ctx, c.ID); err != nil || !got.Disabled {
		t.Errorf("after disable: %+v, %v", got, err)
	}

	// A new secret: asked first, shown once, the old one dead.
	click(t, b.Ctx, "#ac-rotate", "New secret")
	waitText(t, b.Ctx, "#ac-rotate-confirm-box", "The current secret stops working")
	click(t, b.Ctx, "#ac-rotate-confirm", "Make a new secret")
	newSecret := b.shownSecret(t, "ac-secret")
	got, err = s.store.GetAPIClient(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if newSecret == "" || !secret.CheckKey(got.SecretHash, newSecret) || secret.CheckKey(got.SecretHash, s.demo.APIClient.ClientSecret) {
		t.Errorf("the stored hash does not match the secret shown (%q), or still matches the old one", newSecret)
	}
	// Shown once: a reload shows it no more.
	b.openConsole(t, s.serviceURL+"/console/admin/apiclients")
	waitText(t, b.Ctx, ".cc-table", "CRM backend (renamed)")
	if body, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.body.innerText`)); strings.Contains(body, newSecret) {
		t.Error("the secret is shown again after a reload")
	}

	b.editRow(t, c.ID)
	b.waitValue(t, "ac-e-disabled", "true")
	click(t, b.Ctx, "#ac-delete", "Delete")
	waitText(t, b.Ctx, "#ac-delete-confirm-box", "cannot be restored")
	confirmDelete(t, b, "ac-delete-confirm", "Delete the client", "Deleted the API client CRM backend (renamed)", c.ID, s.store.GetAPIClient)
}

// TestAdminRunbookOutputsRoundTrip: a runbook step's output mappings are
// added, removed, saved, reloaded unchanged, and read by the preview.
func TestAdminRunbookOutputsRoundTrip(t *testing.T) {
	s, b := adminSession(t)
	s.runbook(t, "crm-lookup", "CRM lookup")
	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	b.newFlow(t, "Runbook outputs", flow.KindRunbook, flow.KindMessage, flow.KindEnd)
	for i := range 3 {
		click(t, b.Ctx, "#step-1 .cc-add-output", "Add an output")
		if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("st-1-out-%d-path", i)))); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range [][2]string{
		{"st-1-runbook", "crm-lookup"}, {"st-1-success", "2"}, {"st-1-failure", "3"},
		{"st-1-out-0-path", "data.tier"}, {"st-1-out-0-var", "tier"}, {"st-1-out-0-type", "text"},
		{"st-1-out-1-path", "data.unused"}, {"st-1-out-1-var", "unused"}, {"st-1-out-1-type", "date"},
		{"st-1-out-2-path", "items[0].open"}, {"st-1-out-2-var", "openTickets"}, {"st-1-out-2-type", "number"},
		{"st-2-text", "Tier {{var.tier}}, {{var.openTickets}} open."}, {"st-2-next", "3"},
		{"st-3-text", "Bye."},
	} {
		b.setValue(t, kv[0], kv[1])
	}
	// Removing the middle row keeps what was typed in the others.
	b.js(t, `document.querySelectorAll("#step-1 .cc-remove-output")[1].click()`)
	b.waitValue(t, "st-1-out-1-path", "items[0].open")
	if n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("#step-1 .cc-output").length`)); err != nil || n != 2 {
		t.Fatalf("%d output rows after a remove (%v), want 2", n, err)
	}
	click(t, b.Ctx, "#fl-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved as version 1")

	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	click(t, b.Ctx, ".cc-flow-link", "Runbook outputs")
	waitText(t, b.Ctx, "#fl-version", "Version 1")
	for id, want := range map[string]string{
		"st-1-runbook": "crm-lookup", "st-1-success": "2", "st-1-failure": "3",
		"st-1-out-0-path": "data.tier", "st-1-out-0-var": "tier", "st-1-out-0-type": "text",
		"st-1-out-1-path": "items[0].open", "st-1-out-1-var": "openTickets", "st-1-out-1-type": "number",
	} {
		b.waitValue(t, id, want)
	}
	if got := b.value(t, "st-1-out-2-path"); got != "<missing>" {
		t.Errorf("after a reload a third output row holds %q; the removed row came back", got)
	}
	click(t, b.Ctx, "#fl-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved as version 2")

	_, parsed := s.savedUnchanged(t, "Runbook outputs")
	wantOutputs := []flow.RunbookOutput{{Path: "data.tier", Variable: "tier", Type: flow.TypeText},
		{Path: "items[0].open", Variable: "openTickets", Type: flow.TypeNumber}}
	if st := parsed.Step(1); st == nil || st.Runbook == nil || !slices.Equal(st.Runbook.Outputs, wantOutputs) {
		t.Errorf("stored step 1 %+v, want outputs %+v", st, wantOutputs)
	}

	// The preview maps a runbook answer through the outputs.
	click(t, b.Ctx, "#pv-run", "Start preview")
	waitText(t, b.Ctx, "#pv-log .pv-action", "The runbook crm-lookup would be called")
	b.setValue(t, "pv-runbook-answer", `{"data": {"tier": "gold"}, "items": [{"open": 3}]}`)
	click(t, b.Ctx, "#pv-runbook-ok", "The runbook succeeds")
	waitText(t, b.Ctx, "#pv-log .pv-bot", "Tier gold, 3 open.")
	waitText(t, b.Ctx, "#pv-log .pv-end", "The chat ends")
}

// TestAdminStoryFromNewProfileToEmbeddedWidget is the admin's whole
// path, through the pages only: a chat profile, a chat custom field, a
// flow with a condition on it and a start-allowed step, the flow
// assigned; the embed snippet copied from the profile page, verbatim,
// into a page on another site with a strict CSP; there the widget runs
// the new flow: a token's claim picks the condition's branch, and a
// startStepOverride to the allowed step starts there.
func TestAdminStoryFromNewProfileToEmbeddedWidget(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	const (
		kid      = "shop-2026"
		hsSecret = "a shop backend secret of at least 32 bytes"
	)

	b.openConsole(t, s.serviceURL+"/console/admin/fields")
	b.setValue(t, "cf-entity", "chat")
	b.setValue(t, "cf-name", "CFplan")
	b.setValue(t, "cf-label", "Plan")
	b.setValue(t, "cf-type", "choice")
	b.setValue(t, "cf-choices", "free, pro")
	click(t, b.Ctx, "#cf-create", "Create field")
	waitText(t, b.Ctx, ".cc-table", "CFplan")

	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	b.newFlow(t, "Shop flow", flow.KindCondition, flow.KindMessage, flow.KindMessage, flow.KindMessage, flow.KindEnd)
	b.addCriterion(t, 1)
	for _, kv := range [][2]string{
		{"st-1-title", "Pro plan?"}, {"st-1-crit-0-src", "chat"}, {"st-1-crit-0-name", "CFplan"},
		{"st-1-crit-0-op", "equals"}, {"st-1-crit-0-value", "pro"}, {"st-1-true", "2"}, {"st-1-false", "3"},
		{"st-2-text", "Pro plan: you go first."}, {"st-2-next", "5"},
		{"st-3-text", "Free plan: welcome."}, {"st-3-next", "5"},
		{"st-4-title", "Sales desk"}, {"st-4-text", "Sales desk here, how can we help?"}, {"st-4-next", "5"},
		{"st-5-text", "Bye."},
	} {
		b.setValue(t, kv[0], kv[1])
	}
	b.js(t, `document.getElementById("st-4-canstart").click()`)
	click(t, b.Ctx, "#fl-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved as version 1")

	b.openConsole(t, s.serviceURL+"/console/admin/profiles")
	b.setValue(t, "cc-new-profile", "Shop site")
	click(t, b.Ctx, "button", "Create")
	waitText(t, b.Ctx, "h1", "Chat profile: Shop site")
	b.js(t, `(function(){var s=document.getElementById("pf-flowId");
	  s.value=Array.from(s.options).find(function(o){return o.text==="Shop flow"}).value})()`)
	b.setValue(t, "pf-identity.hs256Secrets", `[{"kid":"`+kid+`","secret":"`+hsSecret+`"}]`)
	b.setValue(t, "pf-tokenMappings", "sub = externalid\nemail = email")
	click(t, b.Ctx, "#pf-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved.")
	// The embed section follows the saved flow: step 4 may start a chat.
	waitText(t, b.Ctx, "#cc-examples", "startStepOverride: 4")
	snippet, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.getElementById("cc-snippet").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := s.store.ListProfiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pi := slices.IndexFunc(profiles, func(p store.ChatProfile) bool { return p.Name == "Shop site" })
	if pi < 0 || !strings.Contains(snippet, profiles[pi].ID) || !strings.Contains(snippet, profiles[pi].Key) {
		t.Fatalf("the snippet does not name the new profile:\n%s", snippet)
	}

	visitor := New(t, Options{})
	visitor.ScreenshotOnFailure(t)
	// The refused start step below: the widget logs it, the browser logs
	// the refused start.
	visitor.Allow("halochat:")
	visitor.Allow("422 (Unprocessable Entity)")
	visitor.open(t, s.snippetHostPage(t, snippet))
	if ev := visitor.waitEvent(t, "initialized", 1); ev.Detail["configId"] != profiles[pi].ID {
		t.Fatalf("initialized %v, want the new profile", ev.Detail)
	}

	idToken := testenv.IDToken(t, hsSecret, map[string]any{"kid": kid}, map[string]any{"sub": "shop-42", "email": "pat@shop.example", "CFplan": "pro"})
	visitor.dispatch(t, "openChatWindow", map[string]any{"id_token": idToken})
	started := visitor.waitEvent(t, "chatStarted", 1)
	if started.Detail["authenticated"] != true || started.Detail["startStep"] != float64(1) {
		t.Errorf("chatStarted %v, want an authenticated chat at step 1", started.Detail)
	}
	first := chatIDOf(t, started)
	w := visitor.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Pro plan: you go first.")
	waitText(t, w, ".hc-msg", "Bye.")
	if body, _ := chromedp.Run(w, chromedp.Evaluate[string](`document.body.innerText`)); strings.Contains(body, "Free plan") {
		t.Error("the widget took the condition's false branch")
	}
	vals, err := s.store.ChatFieldValues(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 || vals[0].Name != "CFplan" || vals[0].Value != "pro" {
		t.Errorf("the chat's custom fields: %+v, want CFplan = pro", vals)
	}

	// Step 2 does not allow a start; step 4 does.
	visitor.dispatch(t, "openChatWindow", map[string]any{"startStepOverride": 2, "retainPreviousChat": false})
	if e := visitor.waitEvent(t, "error", 1); e.Detail["code"] != protocol.CodeStartStepNotAllowed {
		t.Errorf("error %v, want %s", e.Detail, protocol.CodeStartStepNotAllowed)
	}
	visitor.dispatch(t, "openChatWindow", map[string]any{"startStepOverride": 4, "retainPreviousChat": false})
	started = visitor.waitEvent(t, "chatStarted", 2)
	if started.Detail["startStep"] != float64(4) || chatIDOf(t, started) == first {
		t.Errorf("chatStarted %v, want a new chat at step 4", started.Detail)
	}
	waitText(t, w, ".hc-msg", "Sales desk here, how can we help?")
	c, err := s.store.GetChat(ctx, chatIDOf(t, started))
	if err != nil || c.ProfileID != profiles[pi].ID {
		t.Errorf("the second chat %+v (%v), want one on the new profile", c, err)
	}
}

// snippetHostPage serves, on another site (localhost), a page holding
// snippet exactly as the admin copied it, under a strict CSP: the
// snippet's inline script is allowed by its hash, the loader by the
// service's origin. The page records the widget's outbound events in
// window.__seen.
func (s *stack) snippetHostPage(t *testing.T, snippet string) string {
	t.Helper()
	const nonce = "r3c0rd3r"
	_, rest, ok := strings.Cut(snippet, "<script>")
	inline, _, ok2 := strings.Cut(rest, "</script>")
	if !ok || !ok2 {
		t.Fatalf("the snippet has no inline script:\n%s", snippet)
	}
	sum := sha256.Sum256([]byte(inline))
	hash := base64.StdEncoding.EncodeToString(sum[:])
	page := `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>shop</title>
<script nonce="` + nonce + `">
  window.__seen = [];
  ["initialized","chatWindowOpened","chatWindowClosed","chatStarted","messageReceived","unreadCount","chatEnded","upgradeAnonChat","error"].forEach(function (n) {
    window.addEventListener("haloChat_outboundEvent_" + n, function (e) { window.__seen.push({ name: n, detail: e.detail }); });
  });
</script></head>
<body><h1>The shop</h1>
` + snippet + `
</body></html>`
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+nonce+"' 'sha256-"+hash+"' "+s.serviceURL+
			"; frame-src "+s.serviceURL+"; style-src 'self'; img-src 'self' data:")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
	_, port, _ := net.SplitHostPort(serveOn(t, mux))
	return "http://localhost:" + port + "/"
}

// TestAdminEnablesTheUserInTheForm: the Enable button acts on the user
// the edit form shows, after the form went from one disabled user to
// another (an unscoped handler kept acting on the first).
func TestAdminEnablesTheUserInTheForm(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	first := &store.User{Email: "first@portal.test", FirstName: "First", Disabled: true}
	second := &store.User{Email: "second@portal.test", FirstName: "Second", Disabled: true}
	for _, u := range []*store.User{first, second} {
		if err := s.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	b.openConsole(t, s.serviceURL+"/console/admin/users")
	b.editRow(t, first.ID)
	b.waitValue(t, "us-e-email", first.Email)
	b.editRow(t, second.ID)
	b.waitValue(t, "us-e-email", second.Email)
	click(t, b.Ctx, "#us-enable", "Enable")
	waitText(t, b.Ctx, "#us-edit .cc-ok", second.Email+" is enabled again")
	for u, disabled := range map[*store.User]bool{first: true, second: false} {
		if got, err := s.store.GetUser(ctx, u.ID); err != nil || got.Disabled != disabled {
			t.Errorf("%s: %+v, %v; want disabled %v", u.Email, got, err, disabled)
		}
	}
}
