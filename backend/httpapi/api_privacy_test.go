package httpapi

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// An admin or an API client with users:write exports a user's data and
// erases it; the erasure's answer counts what went, and the export after
// it holds none of it.
func TestUserExportAndEraseAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newAPIFixture(t, dsn)
		u := &store.User{Email: "kim@example.com", FirstName: "Kim"}
		noErr(t, f.st.CreateUser(ctx, u))
		p := &store.ChatProfile{Name: "p", Access: store.AccessPortalAndExternal}
		noErr(t, f.st.CreateProfile(ctx, p))
		c := &store.Chat{ProfileID: p.ID, Context: store.ContextEmbedded, UserID: u.ID}
		noErr(t, f.st.CreateChat(ctx, c, nil))
		_, _, err := f.st.AppendMessage(ctx, store.Message{ChatID: c.ID, Sender: store.SenderVisitor, Text: "my card is 4111"})
		noErr(t, err)
		id := strconv.FormatInt(u.ID, 10)

		for _, tc := range []struct {
			name, token string
			status      int
		}{{"no credentials", "", 401}, {"an agent", f.agent, 403}, {"an API client without users:write", f.plainClient, 403}} {
			for _, call := range []struct{ method, path string }{{"GET", "/api/User/" + id + "/export"}, {"POST", "/api/User/" + id + "/erase"}} {
				if r := f.call(t, tc.token, call.method, call.path, nil); r.status != tc.status {
					t.Errorf("%s: %s %s: %d, want %d", tc.name, call.method, call.path, r.status, tc.status)
				}
			}
		}
		wantError(t, f.call(t, f.admin, "GET", "/api/User/999999/export", nil), 404, protocol.CodeNotFound, "user")
		wantError(t, f.call(t, f.admin, "POST", "/api/User/999999/erase", nil), 404, protocol.CodeNotFound, "user")
		wantError(t, f.call(t, f.admin, "GET", "/api/User/"+id+"/export?files=yes", nil), 400, protocol.CodeInvalidRequest, "files")

		doc := must(t, f.call(t, f.usersClient, "GET", "/api/User/"+id+"/export", nil), 200)
		if doc.path("user", "email") != "kim@example.com" || !strings.Contains(doc.raw, "my card is 4111") || !strings.Contains(doc.raw, `"id":"`+c.ID+`"`) {
			t.Fatalf("export %s", doc.raw)
		}
		if cd := doc.header.Get("Content-Disposition"); !strings.Contains(cd, "user-"+id+".json") {
			t.Errorf("Content-Disposition %q", cd)
		}
		zipped := testenv.NewClient(t, f.srv.URL).Bearer(f.admin).Do("GET", "/api/User/"+id+"/export?files=1", nil)
		if zipped.Status != 200 || zipped.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(string(zipped.Body), "PK") {
			t.Errorf("zip export: %d %q %q", zipped.Status, zipped.Header.Get("Content-Type"), zipped.Body[:min(len(zipped.Body), 8)])
		}

		erased := must(t, f.call(t, f.admin, "POST", "/api/User/"+id+"/erase", nil), 200)
		if erased.path("userId") != id || erased.path("messages") != "1" || erased.path("chats") != "1" {
			t.Errorf("erasure %s", erased.raw)
		}
		after := must(t, f.call(t, f.usersClient, "GET", "/api/User/"+id+"/export", nil), 200)
		if strings.Contains(after.raw, "kim@example.com") || strings.Contains(after.raw, "4111") || after.path("user", "disabled") != "true" {
			t.Errorf("export after the erasure %s", after.raw)
		}
	})
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
