package browsertest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// announcedSeqs returns the seqs of the messageReceived events the host
// page has seen for the chat, in the order seen.
func (b *Browser) announcedSeqs(t *testing.T, chatID string) []int64 {
	t.Helper()
	var seqs []int64
	for _, e := range b.events(t) {
		if e.Name == "messageReceived" && e.Detail["chatId"] == chatID {
			seq, _ := e.Detail["seq"].(float64)
			seqs = append(seqs, int64(seq))
		}
	}
	return seqs
}

// othersSeqs returns the seqs of the chat's stored messages after seq
// that are not the visitor's own: those the page must hear of.
func (s *stack) othersSeqs(t *testing.T, chatID string, after int64) []int64 {
	t.Helper()
	msgs, err := s.store.MessagesAfter(context.Background(), chatID, after, store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, m := range msgs {
		if m.Sender != store.SenderVisitor {
			seqs = append(seqs, m.Seq)
		}
	}
	return seqs
}

// TestEveryMessageRaisesMessageReceivedOnceAcrossAReload: a new chat's
// first bot messages (those of the start answer) raise messageReceived;
// after a reload the resumed chat raises it only for the messages that
// came while the page was away.
func TestEveryMessageRaisesMessageReceivedOnceAcrossAReload(t *testing.T) {
	s := startStack(t)
	b, host := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	first := s.othersSeqs(t, chatID, 0)
	if len(first) == 0 {
		t.Fatal("the demo flow's start stored no bot message")
	}
	b.waitEvent(t, "messageReceived", len(first))
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-choice", "A billing question")
	if got := b.announcedSeqs(t, chatID); !slices.Equal(got, first) {
		t.Fatalf("the first messages raised messageReceived for seqs %v, want %v", got, first)
	}

	// The page goes away; the chat goes on (the visitor's other tab
	// picks a choice), and the page comes back. Leaving closes the
	// widget's websocket, which chromium logs.
	b.Allow("Page entered Back-Forward Cache")
	b.open(t, "about:blank")
	zero := 0
	if _, err := s.svc.Chats.Send(context.Background(), chatID, protocol.SendRequest{ClientMsgID: "other-tab", Choice: &zero}); err != nil {
		t.Fatal(err)
	}
	since := s.othersSeqs(t, chatID, first[len(first)-1])
	if len(since) == 0 {
		t.Fatal("the choice stored no bot message")
	}
	b.open(t, host)
	b.waitEvent(t, "initialized", 1) // after the resume's events
	b.dispatch(t, "openChatWindow", nil)
	if opened := b.waitEvent(t, "chatWindowOpened", 1); opened.Detail["chatId"] != chatID {
		t.Fatalf("after the reload chatWindowOpened %v, want chat %s", opened.Detail, chatID)
	}
	w = b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Which email address")
	if got := b.announcedSeqs(t, chatID); !slices.Equal(got, since) {
		t.Errorf("after the reload messageReceived for seqs %v, want only those since: %v", got, since)
	}
	if n := b.count(t, "chatStarted"); n != 0 {
		t.Errorf("the resume raised chatStarted %d time(s)", n)
	}
}

// TestChatEndedInItsFirstRunReachesThePage: a flow that logs a ticket
// and ends before the visitor says anything raises chatEnded with the
// ticket; the page reloaded after the end hears of it no more.
func TestChatEndedInItsFirstRunReachesThePage(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	p := s.profileWithFlow(t, &flow.Flow{Name: "straight to a ticket", StartStep: 1, NextStepNumber: 3, Steps: []flow.Step{
		{Number: 1, Kind: flow.KindCreateTicket, Ticket: &flow.TicketStep{Summary: "Logged before a word"}, Next: 2},
		{Number: 2, Kind: flow.KindEnd, Text: "Your ticket number is {{ticket.id}}."}}})

	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	host := s.hostPage(t, "autoInitialize: false,", "")
	b.open(t, host)
	b.dispatch(t, "initialize", map[string]any{"configId": p.ID, "configKey": p.Key})
	b.waitEvent(t, "initialized", 1)
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	ended := b.waitEvent(t, "chatEnded", 1)
	c, err := s.store.GetChat(ctx, chatID)
	if err != nil || c.TicketID == 0 {
		t.Fatalf("the chat %+v logged no ticket: %v", c, err)
	}
	if d := ended.Detail; d["chatId"] != chatID || d["reason"] != protocol.EndByFlow || d["ticketId"] != float64(c.TicketID) {
		t.Errorf("chatEnded %v, want chat %s, reason %s, ticket %d", d, chatID, protocol.EndByFlow, c.TicketID)
	}
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-ticket", "Ticket #")

	b.open(t, host)
	b.dispatch(t, "initialize", map[string]any{"configId": p.ID, "configKey": p.Key})
	b.waitEvent(t, "initialized", 1)
	if n := b.count(t, "chatEnded"); n != 0 {
		t.Errorf("after a reload the chat that had ended raised chatEnded %d time(s)", n)
	}
}

// TestLogoutEndsTheChatWithReasonLogout: logout ends the authenticated
// chat with reason logout, for the page and on the server.
func TestLogoutEndsTheChatWithReasonLogout(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	tok := s.token(t, jwt.MapClaims{"sub": "cust-9", "given_name": "Lou", "email": "lou@example.test"})
	b.dispatch(t, "openChatWindow", map[string]any{"id_token": tok})
	started := b.waitEvent(t, "chatStarted", 1)
	chatID := chatIDOf(t, started)
	if started.Detail["authenticated"] != true {
		t.Fatalf("chatStarted %v, want an authenticated chat", started.Detail)
	}
	b.dispatch(t, "logout", nil)
	ended := b.waitEvent(t, "chatEnded", 1)
	if ended.Detail["chatId"] != chatID || ended.Detail["reason"] != protocol.EndLogout {
		t.Errorf("chatEnded %v, want chat %s with reason %s", ended.Detail, chatID, protocol.EndLogout)
	}
	ctx := context.Background()
	var c *store.Chat
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) { // the end call is on its way
		var err error
		if c, err = s.store.GetChat(ctx, chatID); err != nil {
			t.Fatal(err)
		}
		if c.Status == store.ChatEnded || time.Now().After(deadline) {
			break
		}
	}
	if c.Status != store.ChatEnded || c.EndReason != protocol.EndLogout {
		t.Errorf("stored chat: status %s, end reason %q, want ended for %s", c.Status, c.EndReason, protocol.EndLogout)
	}
}
