package chatapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
	"halochat/backend/storetest"
)

// An offline message's ticket has no chat: it belongs to the profile it
// was left through, so API clients bound to that profile list and read it
// (as they do its chats' tickets), and those bound to another do not.
func TestOfflineTicketsReachTheirProfilesClients(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		p := e.demo.Profile
		tk, err := n.svc.LeaveMessage(context.Background(), chats.OfflineMessage{ConfigID: p.ID, ConfigKey: p.Key,
			HostOrigin: "https://host.example", Email: "ada@example.com", Text: "Call me back."}, "")
		if err != nil {
			t.Fatal(err)
		}
		chatTicket := e.ticketFor(n.mustStart(protocol.StartChatRequest{}).ChatID)
		other := storetest.DemoProfile(t, e.st, e.demo, "other", nil)
		perms := []string{store.PermTicketsRead}
		tests := []struct {
			name    string
			client  func() (string, []string)
			reaches bool
		}{
			{"bound to the profile", func() (string, []string) { return "bound", []string{p.ID} }, true},
			{"bound to no profile", func() (string, []string) { return "unbound", nil }, true},
			{"bound to another profile", func() (string, []string) { return "elsewhere", []string{other.ID} }, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				name, profiles := tc.client()
				c := n.apiClient(name, perms, profiles...)
				var list protocol.TicketList
				c.Do("GET", "/api/Tickets", nil).Expect(http.StatusOK).Decode(&list)
				var ids []int64
				for _, x := range list.Tickets {
					ids = append(ids, x.ID)
				}
				if slices.Contains(ids, tk.ID) != tc.reaches || slices.Contains(ids, chatTicket) != tc.reaches {
					t.Fatalf("lists %v: offline ticket %d, chat ticket %d; want listed %v", ids, tk.ID, chatTicket, tc.reaches)
				}
				want := http.StatusForbidden
				if tc.reaches {
					want = http.StatusOK
				}
				c.Do("GET", fmt.Sprintf("/api/Tickets/%d", tk.ID), nil).Expect(want)
			})
		}
	})
}
