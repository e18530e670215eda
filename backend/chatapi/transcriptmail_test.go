package chatapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/mail"
	"halochat/backend/mail/smtptest"
	"halochat/backend/store"
)

// mailTo is the service's mail set-up for a real SMTP server on loopback
// (STARTTLS and a login), polling often.
func mailTo(t *testing.T, srv *smtptest.Server) *mail.DispatchConfig {
	t.Helper()
	s, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	s.TLS = srv.ClientTLS()
	from, _ := mail.ParseFrom("Halo Chat <chat@example.com>")
	return &mail.DispatchConfig{Sender: mail.Sender{Server: s, Timeout: 10 * time.Second}, From: from, Poll: 100 * time.Millisecond}
}

// The visitor asks for the transcript by e-mail (resume secret): 202 and
// the mail arrives at the SMTP server with the chat's messages; a bad
// address is refused naming email; the fourth request is refused (409)
// and sends nothing; the profile's availability offers the action.
func TestVisitorGetsTheTranscriptByMail(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "chat@example.com", Password: "pw"})
		n := e.node(nodeOpts{mail: mailTo(t, srv)})
		var av protocol.Availability
		n.call("GET", "/chat/api/v1/availability?configId="+e.demo.Profile.ID, nil, &av)
		if !av.MailTranscript {
			t.Error("availability does not offer the transcript by mail")
		}
		resp := n.mustStart(protocol.StartChatRequest{})
		path := "/chat/api/v1/chats/" + resp.ChatID + "/transcript"
		for _, tc := range []struct {
			email, secret string
			status        int
			field         string
		}{
			{"", resp.ResumeSecret, http.StatusBadRequest, "email"},
			{"not-an-address", resp.ResumeSecret, http.StatusBadRequest, "email"},
			{"ada@example.com", "wrong", http.StatusNotFound, ""},
		} {
			var eb protocol.ErrorBody
			code := n.call("POST", path, protocol.TranscriptMailRequest{Email: tc.email}, &eb, hdr(tc.secret)...)
			if code != tc.status || eb.Error.Field != tc.field {
				t.Errorf("%q with secret %q: %d %+v, want %d naming %q", tc.email, tc.secret, code, eb, tc.status, tc.field)
			}
		}
		for i := range protocol.MaxTranscriptMails {
			var q protocol.TranscriptMailQueued
			code := n.call("POST", path, protocol.TranscriptMailRequest{Email: " ada@example.com "}, &q, hdr(resp.ResumeSecret)...)
			if code != http.StatusAccepted || q.Email != "ada@example.com" || q.Remaining != protocol.MaxTranscriptMails-1-i {
				t.Errorf("request %d: %d %+v", i+1, code, q)
			}
		}
		var eb protocol.ErrorBody
		if code := n.call("POST", path, protocol.TranscriptMailRequest{Email: "ada@example.com"}, &eb, hdr(resp.ResumeSecret)...); code != http.StatusConflict ||
			!strings.Contains(eb.Error.Message, "already e-mailed 3 times") {
			t.Errorf("request past the limit: %d %+v, want 409 naming the limit", code, eb)
		}
		got := srv.Wait(t, protocol.MaxTranscriptMails, 20*time.Second)
		msgs, err := n.svc.MessagesAfter(context.Background(), resp.ChatID, 0)
		if err != nil || len(msgs) == 0 {
			t.Fatalf("the chat's messages: %d, %v", len(msgs), err)
		}
		for _, r := range got {
			if r.To[0] != "ada@example.com" || r.From != "chat@example.com" || r.Header("Subject") != "Your chat with "+e.demo.Profile.Name {
				t.Errorf("mail %s → %v: %q", r.From, r.To, r.Header("Subject"))
			}
			if body := r.Text(); !strings.Contains(body, msgs[0].Text) || !strings.Contains(body, "Bot: ") {
				t.Errorf("the mail does not hold the chat's first message %q:\n%s", msgs[0].Text, body)
			}
		}
		if tls := srv.OverTLS(); !tls[0] {
			t.Error("the mail did not go over STARTTLS")
		}
		time.Sleep(300 * time.Millisecond) // the refused fourth must not arrive late
		if len(srv.Received()) != protocol.MaxTranscriptMails {
			t.Errorf("%d mails arrived, want %d", len(srv.Received()), protocol.MaxTranscriptMails)
		}
	})
}

// Without an SMTP server the endpoint answers 503 mail_off, queues
// nothing, and the widget is not offered the action.
func TestTranscriptMailIsOffWithoutSMTP(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		var av protocol.Availability
		n.call("GET", "/chat/api/v1/availability?configId="+e.demo.Profile.ID, nil, &av)
		if av.MailTranscript {
			t.Error("availability offers the transcript by mail without SMTP")
		}
		resp := n.mustStart(protocol.StartChatRequest{})
		var eb protocol.ErrorBody
		code := n.call("POST", "/chat/api/v1/chats/"+resp.ChatID+"/transcript", protocol.TranscriptMailRequest{Email: "ada@example.com"}, &eb, hdr(resp.ResumeSecret)...)
		if code != http.StatusServiceUnavailable || eb.Error.Code != protocol.CodeMailOff || !strings.Contains(eb.Error.Message, "--smtp") {
			t.Errorf("without SMTP: %d %+v", code, eb)
		}
		if ms, _ := e.st.ListMails(context.Background(), store.MailFilter{}); len(ms) != 0 {
			t.Errorf("%d mails queued without SMTP", len(ms))
		}
	})
}

// The profile's notification address gets each offline message left
// through it, with the form's text.
func TestOfflineMessageNotifiesTheProfile(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "chat@example.com", Password: "pw"})
		n := e.node(nodeOpts{mail: mailTo(t, srv)})
		ctx := context.Background()
		p, err := e.st.GetProfile(ctx, e.demo.Profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.NotificationEmail = "desk@example.com"
		if err := e.st.UpdateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		tk, err := n.svc.LeaveMessage(ctx, chats.OfflineMessage{ConfigID: p.ID, ConfigKey: p.Key,
			HostOrigin: "https://host.example", Name: "Ada", Email: "ada@example.com", Text: "Please call me back."}, "")
		if err != nil {
			t.Fatal(err)
		}
		r := srv.Wait(t, 1, 20*time.Second)[0]
		if r.To[0] != "desk@example.com" || !strings.Contains(r.Header("Subject"), "#") ||
			!strings.Contains(r.Text(), "Please call me back.") || !strings.Contains(r.Text(), "Ada <ada@example.com>") {
			t.Errorf("notification of ticket %d → %v %q:\n%s", tk.ID, r.To, r.Header("Subject"), r.Text())
		}
	})
}

// A ticket a chat's flow logs (the demo flow's create-ticket step) is
// told to the profile's notification address as an offline message's
// is: queued with the ticket, in the profile's default language (French
// here, for an English chat), naming the chat and carrying the
// transcript.
func TestFlowTicketNotifiesTheProfile(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		srv := smtptest.Start(t, smtptest.Options{})
		p, err := e.st.GetProfile(ctx, e.demo.Profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.NotificationEmail, p.DefaultLanguage = "desk@example.com", "fr"
		if err := e.st.UpdateProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		n := e.node(nodeOpts{mail: mailTo(t, srv)})
		resp := n.mustStart(protocol.StartChatRequest{Languages: []string{"en"}})
		tk := n.flowTicket(t, resp)
		queued, err := e.st.ListMails(ctx, store.MailFilter{ChatID: resp.ChatID})
		if err != nil || len(queued) != 1 || queued[0].Kind != store.MailNotification || queued[0].TicketID != tk.ID ||
			queued[0].Recipient != "desk@example.com" {
			t.Fatalf("queued %+v, %v; want the notification of ticket %d", queued, err, tk.ID)
		}
		r := srv.Wait(t, 1, 20*time.Second)[0]
		body := r.Text()
		if want := fmt.Sprintf("Nouveau ticket n° %d : %s", tk.ID, tk.Summary); r.Header("Subject") != want || r.To[0] != "desk@example.com" {
			t.Errorf("notification → %v %q, want %q", r.To, r.Header("Subject"), want)
		}
		for _, want := range []string{fmt.Sprintf("Une discussion a créé un nouveau ticket via le profil de chat %q.", p.Name),
			fmt.Sprintf("Ticket: #%d", tk.ID), "Discussion: " + resp.ChatID, "Console: " + n.url + "/console/", "The printer is on fire"} {
			if !strings.Contains(body, want) {
				t.Errorf("the notification does not say %q:\n%s", want, body)
			}
		}
	})
}
