package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/testenv"
)

// erasureFixture is a user with a chat holding every kind of personal
// data, and another user's chat that an erasure must not touch.
type erasureFixture struct {
	user, other       *User
	chat, otherChat   *Chat
	ticket            *Ticket
	visitorFile       string
	agentFile         string
	hook              *Webhook
	matching, unnamed string
}

func newErasureFixture(t *testing.T, s *Store) *erasureFixture {
	t.Helper()
	ctx := context.Background()
	f := &erasureFixture{hook: newWebhook(t, s, false, protocol.WebhookUserErased, protocol.WebhookChatMessage)}
	f.user = &User{Email: "Erin@Example.com", ExternalID: "crm-9", FirstName: "Erin", LastName: "Example", Phone: "+44 1", PasswordHash: "x"}
	must(t, s.CreateUser(ctx, f.user))
	f.other = &User{Email: "olly@example.com", FirstName: "Olly"}
	must(t, s.CreateUser(ctx, f.other))
	p := &ChatProfile{Name: "p", Access: AccessPortalAndExternal}
	must(t, s.CreateProfile(ctx, p))
	chatField := &CustomField{Entity: EntityChat, Name: "CFOrder", Label: "Order", Type: FieldText}
	must(t, s.CreateCustomField(ctx, chatField))
	ticketField := &CustomField{Entity: EntityTicket, Name: "CFAddress", Label: "Address", Type: FieldText}
	must(t, s.CreateCustomField(ctx, ticketField))
	for _, c := range []struct {
		chat **Chat
		user *User
	}{{&f.chat, f.user}, {&f.otherChat, f.other}} {
		*c.chat = &Chat{ProfileID: p.ID, Context: ContextEmbedded, UserID: c.user.ID, EmailHint: c.user.Email}
		must(t, s.CreateChat(ctx, *c.chat, []ChatFieldValue{{FieldID: chatField.ID, Value: "order of " + c.user.FirstName}}))
		for _, m := range []Message{{Sender: SenderVisitor, Text: "I live at 1 Secret Lane"}, {Sender: SenderAgent, Text: "Thanks"}} {
			m.ChatID = (*c.chat).ID
			_, _, err := s.AppendMessage(ctx, m)
			must(t, err)
		}
	}
	for _, a := range []struct {
		sender string
		id     *string
	}{{SenderVisitor, &f.visitorFile}, {SenderAgent, &f.agentFile}} {
		*a.id = NewAttachmentID()
		_, ok, err := s.AddAttachment(ctx, &Attachment{ID: *a.id, ChatID: f.chat.ID, Name: "scan.pdf", ContentType: "application/pdf"},
			strings.NewReader(strings.Repeat("%PDF", 100_000)), Message{ChatID: f.chat.ID, Sender: a.sender, Text: "📎 scan.pdf"}, AppendCond{})
		if err != nil || !ok {
			t.Fatalf("attach: %v %v", ok, err)
		}
	}
	ended, now := ChatEnded, s.Now()
	_, err := s.UpdateChat(ctx, f.chat.ID, "", ChatUpdate{Status: &ended, EndedAt: &now})
	must(t, err)
	_, err = s.RateChat(ctx, ChatRating{ChatID: f.chat.ID, Score: 5, Comment: "Erin says thanks"}, now.Add(-time.Minute))
	must(t, err)
	f.ticket = &Ticket{UserID: f.user.ID, ChatID: f.chat.ID, Summary: "Erin's parcel", Details: "visitor: I live at 1 Secret Lane"}
	must(t, s.CreateTicket(ctx, f.ticket, []TicketFieldValue{{FieldID: ticketField.ID, Value: "1 Secret Lane"}}))
	must(t, s.CreatePortalSession(ctx, &PortalSession{TokenHash: "h1", UserID: f.user.ID, ExpiresAt: now.Add(time.Hour)}))
	items := []*MatchingData{{KeyHash: "k", Content: RawJSON(`{"user":{"mail":"erin@example.com"}}`)}, {KeyHash: "k", Content: RawJSON(`{"email":"someone@else.test"}`)}}
	must(t, s.CreateMatchingDataBatch(ctx, items))
	f.matching, f.unnamed = items[0].GUID, items[1].GUID
	// The outbox: Erin's transcript, the desk's notification of her
	// ticket (her offline message), a mail to her address about a chat
	// deleted since; Olly's transcript, which stays.
	for _, c := range []*Chat{f.chat, f.otherChat} {
		_, err = s.QueueTranscriptMail(ctx, &Mail{ChatID: c.ID, Recipient: c.EmailHint, Subject: "Your chat", Body: "visitor: I live at 1 Secret Lane"}, 3)
		must(t, err)
	}
	must(t, queueMails(ctx, s.DB(), "queue the fixture's mails", now, []Mail{
		{Kind: MailNotification, TicketID: f.ticket.ID, Recipient: "desk@example.com", Subject: "New ticket", Body: "Erin: I live at 1 Secret Lane"},
		{Kind: MailTranscript, Recipient: "ERIN@Example.com", Subject: "An older chat", Body: "visitor: my card ends 4242"},
	}))
	return f
}

// wantMails fails unless d holds n mails, each naming the user's chat, ticket or address.
func (f *erasureFixture) wantMails(t *testing.T, d *UserData, n int) {
	t.Helper()
	if len(d.Mails) != n {
		t.Fatalf("%d mails of user %d, want %d: %+v", len(d.Mails), d.User.ID, n, d.Mails)
	}
	for _, m := range d.Mails {
		if m.ChatID != "" && m.ChatID != f.chat.ID && m.ChatID != f.otherChat.ID {
			t.Errorf("a mail of another chat: %+v", m)
		}
	}
}

// An erasure removes the person's data in one transaction, counts it,
// keeps the desk's numbers and statuses, leaves other users alone and
// tells webhooks who (never what).
func TestEraseUser(t *testing.T) {
	testenv.ForEachStore(t, Open, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f := newErasureFixture(t, s)
		before, err := s.ReadUserData(ctx, f.user.ID)
		must(t, err)
		f.wantMails(t, before, 3) // the export lists them

		got, err := s.EraseUser(ctx, f.user.ID)
		must(t, err)
		want := protocol.UserErasure{UserID: f.user.ID, Chats: 1, Messages: 2, Attachments: 1, ChatFieldValues: 1, Tickets: 1,
			TicketFieldValues: 1, RatingComments: 1, MatchingData: 1, PortalSessions: 1, Mails: 3}
		if got.UserErasure != want || len(got.Files) != 0 {
			t.Errorf("erasure %+v files %v, want %+v and none", got.UserErasure, got.Files, want)
		}

		u, err := s.GetUser(ctx, f.user.ID)
		must(t, err)
		if u.Email != "" || u.ExternalID != "" || u.FirstName != "" || u.LastName != "" || u.Phone != "" || u.PasswordHash != "" || !u.Disabled {
			t.Errorf("user after the erasure: %+v", u)
		}
		d, err := s.ReadUserData(ctx, f.user.ID)
		must(t, err)
		if len(d.Chats) != 1 || d.Chats[0].Status != ChatEnded || d.Chats[0].EmailHint != "" {
			t.Errorf("chats after the erasure: %+v", d.Chats)
		}
		f.wantMails(t, d, 0)
		left, err := s.ListMails(ctx, MailFilter{})
		must(t, err)
		if len(left) != 1 || left[0].ChatID != f.otherChat.ID {
			t.Errorf("mails left after the erasure: %+v, want Olly's transcript alone", left)
		}
		for _, m := range d.Messages[f.chat.ID] {
			if m.Sender == SenderVisitor {
				t.Errorf("the visitor's message %d is left: %q", m.Seq, m.Text)
			}
		}
		if n := len(d.Messages[f.chat.ID]); n != 2 {
			t.Errorf("%d messages left, want the agent's two", n)
		}
		if len(d.Values[f.chat.ID]) != 0 || len(d.TicketValues[f.ticket.ID]) != 0 {
			t.Errorf("field values left: %v %v", d.Values, d.TicketValues)
		}
		if r := d.Ratings[f.chat.ID]; r == nil || r.Score != 5 || r.Comment != "" {
			t.Errorf("rating after the erasure: %+v (the score stays, the comment goes)", r)
		}
		if len(d.Attachments[f.chat.ID]) != 1 || d.Attachments[f.chat.ID][0].ID != f.agentFile {
			t.Errorf("attachments left: %+v, want the agent's", d.Attachments[f.chat.ID])
		}
		chunks, err := s.DB().NewSelect().TableExpr("attachment_chunks").Where("attachment_id = ?", f.visitorFile).Count(ctx)
		must(t, err)
		if chunks != 0 {
			t.Errorf("%d chunks of the visitor's file are left", chunks)
		}
		tk, err := s.GetTicket(ctx, f.ticket.ID)
		must(t, err)
		if tk.Summary != ErasedSummary || tk.Details != "" || tk.Status != TicketOpen || tk.ChatID != f.chat.ID {
			t.Errorf("ticket after the erasure: %+v", tk)
		}
		_, err = s.GetMatchingData(ctx, f.matching)
		wantErr(t, err, ErrNotFound)
		_, err = s.GetMatchingData(ctx, f.unnamed)
		must(t, err)

		// The other user keeps everything.
		od, err := s.ReadUserData(ctx, f.other.ID)
		must(t, err)
		if od.User.Email != "olly@example.com" || len(od.Messages[f.otherChat.ID]) != 2 || len(od.Values[f.otherChat.ID]) != 1 ||
			od.Chats[0].EmailHint == "" {
			t.Errorf("the other user's data changed: %+v", od)
		}
		f.wantMails(t, od, 1)

		// user.erased names the user and nothing erased.
		var erased []Delivery
		for _, dl := range allDeliveries(t, s, f.hook.ID) {
			if dl.EventType == protocol.WebhookUserErased {
				erased = append(erased, dl)
			}
		}
		if len(erased) != 1 {
			t.Fatalf("%d user.erased deliveries, want 1", len(erased))
		}
		var ev protocol.WebhookEvent
		must(t, json.Unmarshal(erased[0].Payload, &ev))
		if string(ev.Data) != `{"user_id":`+strconv.FormatInt(f.user.ID, 10)+`}` || strings.Contains(string(erased[0].Payload), "rin") {
			t.Errorf("user.erased payload %s", erased[0].Payload)
		}

		// Again: nothing more to remove; an unknown user is not found.
		again, err := s.EraseUser(ctx, f.user.ID)
		must(t, err)
		if again.UserErasure != (protocol.UserErasure{UserID: f.user.ID, Chats: 1, Tickets: 1}) {
			t.Errorf("second erasure %+v", again.UserErasure)
		}
		_, err = s.EraseUser(ctx, 999999)
		wantErr(t, err, ErrNotFound)
	})
}
