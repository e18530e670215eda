package securitytest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
)

// An e-mail hint (the value of the profile's sessionStorage key, which
// any visitor can set) never authenticates anyone, even on a profile
// that trusts it: an anonymous start hinting a portal user's, a token
// user's or an agent's address is not their chat, is not greeted by
// their stored name, shows none of their stored data, and its ticket
// does not reach their portal list. The hint stays what it is: an
// unverified e-mail the agent sees in the details panel.
func TestEmailHintNeverAuthenticates(t *testing.T) {
	forEachDB(t, service.Unlimited(), func(t *testing.T, s *server) {
		ctx := context.Background()
		p, err := s.st.GetProfile(ctx, s.demo.Profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.EmailStorageKey, p.TrustEmailStorage = "shopUserEmail", true
		if err := s.st.UpdateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		// A user a token named, with a name and an external id.
		tok, err := demo.SignIdentityToken(s.demo.Identity.HS256Secret, demo.IdentityKID, map[string]any{
			"sub": "crm-7", "email": "terry@shop.example", "given_name": "Terry", "family_name": "Token",
			"exp": time.Now().Add(5 * time.Minute).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "a token start", s.startWith(s.demoProfile(), "https://host.example", tok), http.StatusCreated)
		portal, err := s.st.GetUserByEmail(ctx, demo.PortalEmail)
		if err != nil {
			t.Fatal(err)
		}
		terry, err := s.st.GetUserByEmail(ctx, "terry@shop.example")
		if err != nil {
			t.Fatal(err)
		}
		agent := s.login(s.demo.Agent)

		for _, tc := range []struct {
			whose, hint string
			user        *store.User // nil: an agent's address
			name        string      // stored, never to be shown
		}{
			{"a portal user's", demo.PortalEmail, portal, portal.FirstName},
			{"a token user's", "Terry@Shop.Example", terry, "Terry"},
			{"an agent's", s.demo.Agent.Email, nil, "Alex"},
		} {
			r := s.startWith(s.demoProfile(), "https://host.example", "", func(req *protocol.StartChatRequest) { req.EmailHint = tc.hint })
			started := wantStatus(t, "a start hinting "+tc.whose+" address", r, http.StatusCreated)
			if started.Chat.Authenticated {
				t.Errorf("hinting %s address: the chat is authenticated", tc.whose)
			}
			if started.Chat.UserName != "" || strings.Contains(string(r.body), tc.name) {
				t.Errorf("hinting %s address: the visitor sees the stored name %q: %s", tc.whose, tc.name, r.body)
			}
			c, err := s.st.GetChat(ctx, started.ChatID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.user != nil && c.UserID == tc.user.ID {
				t.Errorf("hinting %s address: the chat is theirs (user %d)", tc.whose, c.UserID)
			}
			var d struct { // protocol.ChatDetails, as the API answers it
				UnverifiedEmail string             `json:"unverifiedEmail"`
				User            *protocol.ChatUser `json:"user"`
			}
			dr := s.do("GET", "/api/Chat/"+started.ChatID+"/details", nil, "Authorization", "Bearer "+agent)
			if dr.status != http.StatusOK || json.Unmarshal(dr.body, &d) != nil {
				t.Fatalf("details: %d %s", dr.status, dr.body)
			}
			if d.UnverifiedEmail != store.NormalizeEmail(tc.hint) || (d.User != nil && d.User.Email != "") {
				t.Errorf("hinting %s address: the details panel shows unverified e-mail %q and user %+v; want the hint, unverified, and no user's address",
					tc.whose, d.UnverifiedEmail, d.User)
			}
		}

		// The portal user's ticket list gets nothing from a chat hinting
		// their address, down to its ticket.
		r := s.startWith(s.demoProfile(), "https://host.example", "", func(req *protocol.StartChatRequest) { req.EmailHint = demo.PortalEmail })
		started := wantStatus(t, "a start hinting the portal user's address", r, http.StatusCreated)
		billing := 0
		for i, req := range []protocol.SendRequest{{Choice: &billing}, {Text: demo.PortalEmail}, {Text: "refund me"}} {
			req.ClientMsgID = string(rune('a' + i))
			if sr := s.widget("POST", "/chat/api/v1/chats/"+started.ChatID+"/messages", mustJSON(req),
				protocol.HeaderResumeSecret, started.ResumeSecret); sr.status >= 300 {
				t.Fatalf("send %d: %d %s", i, sr.status, sr.body)
			}
		}
		if c, err := s.st.GetChat(ctx, started.ChatID); err != nil || c.TicketID == 0 {
			t.Fatalf("the chat logged no ticket: %+v %v", c, err)
		}
		if list, err := s.st.ListPortalTickets(ctx, portal.ID, store.Page{}); err != nil || len(list) != 0 {
			t.Errorf("the portal user's tickets after a chat hinting their address: %+v %v, want none", list, err)
		}
	})
}
