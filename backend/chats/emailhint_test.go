package chats_test

import (
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// TestTrustedEmailHintShowsTheVisitorNothingStored: on a profile that
// trusts its e-mail hint, a start hinting an address joins that
// address's hint user but signs no one in, and neither the flow (the
// demo's welcome greets {{user.firstname}}) nor the chat's state shows
// the visitor anything stored on that user.
func TestTrustedEmailHintShowsTheVisitorNothingStored(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		p := e.profile(t, "trusting", func(p *store.ChatProfile) { p.EmailStorageKey, p.TrustEmailStorage = "email", true })
		stored := &store.User{HintEmail: "pat@shop.example", FirstName: "Storedname"} // as an admin may have named it
		if err := e.st.CreateUser(e.ctx, stored); err != nil {
			t.Fatal(err)
		}
		resp := e.start(t, protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key, EmailHint: "Pat@Shop.Example"})
		for _, m := range resp.Messages {
			if strings.Contains(m.Text, "Storedname") {
				t.Errorf("the flow shows the visitor a stored name: %q", m.Text)
			}
		}
		c := e.chat(t, resp.ChatID)
		if c.Authenticated || resp.Chat.Authenticated || c.UserID != stored.ID || c.EmailHint != "pat@shop.example" {
			t.Errorf("chat %+v (answered authenticated %v): want hint user %d, not signed in, the hint kept", c, resp.Chat.Authenticated, stored.ID)
		}
		st, err := e.svc.ChatState(e.ctx, resp.ChatID)
		if err != nil {
			t.Fatal(err)
		}
		if st.UserName != "" || st.UserEmail != "" {
			t.Errorf("the chat's state names its user: %q %q", st.UserName, st.UserEmail)
		}
		d, err := e.svc.Details(e.ctx, resp.ChatID, chats.AgentReader(e.agent))
		if err != nil {
			t.Fatal(err)
		}
		if d.UnverifiedEmail != "pat@shop.example" {
			t.Errorf("details: unverified e-mail %q, want the hint", d.UnverifiedEmail)
		}
	})
}
