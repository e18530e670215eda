package browsertest

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"

	"halochat/app/protocol"
)

// TestAdminSetsAProfilesRetention: the profile page's "Delete ended
// chats after N days" takes a positive whole number or nothing; what is
// not one is refused at the field before anything is sent, the API's
// refusal (past its bound) is shown at the field naming it, and a saved
// retention — read back from the API — shows again when the page opens
// anew; emptied, the profile keeps its chats again.
func TestAdminSetsAProfilesRetention(t *testing.T) {
	s, b := adminConsole(t, "400 (Bad Request)") // the API's refusal below
	var login protocol.AgentLogin
	s.api.For(t).Do("POST", "/auth/login", map[string]string{"email": s.demo.Admin.Email, "password": s.demo.Admin.Password}).
		Expect(200).Decode(&login)
	admin := s.api.Bearer(login.Token).For(t)
	page := s.serviceURL + "/console/admin/profile?id=" + url.QueryEscape(s.demo.Profile.ID)
	stored := func() int64 {
		t.Helper()
		var raw map[string]json.RawMessage
		admin.Do("GET", "/api/ChatProfile/"+url.PathEscape(s.demo.Profile.ID), nil).Expect(200).Decode(&raw)
		if raw["retentionDays"] == nil {
			return 0
		}
		n, err := strconv.ParseInt(string(raw["retentionDays"]), 10, 64)
		if err != nil {
			t.Fatalf("retentionDays %s: %v", raw["retentionDays"], err)
		}
		return n
	}
	const field = `[data-field="retentionDays"] .cc-field-error`

	b.openConsole(t, page)
	b.waitValue(t, "pf-retentionDays", "") // the demo profile keeps its chats
	for _, typed := range []string{"thirty", "0", "-3", "1.5"} {
		b.setValue(t, "pf-retentionDays", typed)
		click(t, b.Ctx, "#pf-save", "Save")
		b.expectBanner(t, b.Ctx, ".cc-error", "Some settings need fixing (see the fields marked).")
		waitText(t, b.Ctx, field, strconv.Quote(typed)+" is not a positive whole number of days")
	}
	if n := stored(); n != 0 {
		t.Fatalf("a refused form stored retentionDays %d", n)
	}
	b.setValue(t, "pf-retentionDays", "36501")
	click(t, b.Ctx, "#pf-save", "Save")
	b.expectBanner(t, b.Ctx, ".cc-error", "Not saved: retentionDays: must be 1 to 36500 days")
	waitText(t, b.Ctx, field, "must be 1 to 36500 days after a chat ended, or 0 to keep chats, not 36501")
	if n := stored(); n != 0 {
		t.Fatalf("a refused save stored retentionDays %d", n)
	}

	b.setValue(t, "pf-retentionDays", "30")
	click(t, b.Ctx, "#pf-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved.")
	if n := stored(); n != 30 {
		t.Fatalf("retentionDays read back from the API = %d, want 30", n)
	}
	b.openConsole(t, page)
	b.waitValue(t, "pf-retentionDays", "30")

	b.setValue(t, "pf-retentionDays", "")
	click(t, b.Ctx, "#pf-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved.")
	if n := stored(); n != 0 {
		t.Fatalf("emptied, retentionDays read back from the API = %d, want 0 (keep)", n)
	}
}
