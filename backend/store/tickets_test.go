package store

import (
	"context"
	"testing"
	"time"
)

// A user's portal tickets: those logged for them and those from their
// chats, newest first, with the type's name; never another user's.
func TestListPortalTickets(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ann, bob := &User{Email: "ann@tickets.test"}, &User{Email: "bob@tickets.test"}
		must(t, s.CreateUser(ctx, ann))
		must(t, s.CreateUser(ctx, bob))
		tt := &TicketType{Name: "Support"}
		must(t, s.CreateTicketType(ctx, tt))
		p := &ChatProfile{Name: "portal tickets", Access: AccessPortal}
		must(t, s.CreateProfile(ctx, p))
		chat := &Chat{ProfileID: p.ID, Context: ContextPortal, Status: ChatBot, UserID: ann.ID}
		must(t, s.CreateChat(ctx, chat, nil))

		tickets := []*Ticket{
			{Summary: "logged for ann", UserID: ann.ID, TicketTypeID: tt.ID},
			{Summary: "from ann's chat", ChatID: chat.ID},
			{Summary: "bob's", UserID: bob.ID, Status: TicketClosed},
		}
		for _, tk := range tickets {
			must(t, s.CreateTicket(ctx, tk, nil))
		}
		for _, tc := range []struct {
			name string
			user int64
			want []string
		}{
			{"ann", ann.ID, []string{"from ann's chat", "logged for ann"}},
			{"bob", bob.ID, []string{"bob's"}},
			{"nobody", 999999, nil},
		} {
			got, err := s.ListPortalTickets(ctx, tc.user, Page{})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%s: %d tickets %+v, want %v", tc.name, len(got), got, tc.want)
			}
			for i, w := range tc.want {
				if got[i].Summary != w || got[i].CreatedAt.IsZero() || got[i].CreatedAt.Location() != time.UTC {
					t.Errorf("%s: ticket %d = %+v, want %q", tc.name, i, got[i], w)
				}
			}
		}
		got, _ := s.ListPortalTickets(ctx, ann.ID, Page{})
		if got[1].TypeName != "Support" || got[0].TypeName != "" || got[0].ChatID != chat.ID || got[1].Status != TicketOpen {
			t.Errorf("ann's tickets %+v", got)
		}
	})
}
