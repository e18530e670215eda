package mail

import (
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"halochat/backend/mail/smtptest"
)

// sender is a Sender for srv's URL (plus extra query), trusting its
// certificate.
func sender(t *testing.T, srv *smtptest.Server, query string) Sender {
	t.Helper()
	s, err := ParseURL(srv.URL() + query)
	if err != nil {
		t.Fatal(err)
	}
	s.TLS = srv.ClientTLS()
	return Sender{Server: s, Timeout: 10 * time.Second}
}

func message(t *testing.T, to, subject, text string) []byte {
	t.Helper()
	b, err := Message{From: &mail.Address{Name: "Halo Chat", Address: "chat@example.com"}, To: to, Subject: subject,
		Text: text, ID: "m1", Date: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A server that offers STARTTLS gets the message over TLS, after the
// login; what arrives has the recipient, the subject (not ASCII) and the
// text (long lines, non-ASCII) as written.
func TestSendUpgradesWithSTARTTLSAndLogsIn(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "bot@example.com", Password: "s3cret:pw"})
	text := "Hello Zoë,\n" + strings.Repeat("a long line ", 20) + "\n.\n.. a dot line\nbye"
	err := sender(t, srv, "").Send(context.Background(), "chat@example.com", "visitor@example.org",
		message(t, "visitor@example.org", "Ihr Gespräch", text))
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Received()
	if len(got) != 1 || !srv.OverTLS()[0] {
		t.Fatalf("received %d, over TLS %v; want one over TLS", len(got), srv.OverTLS())
	}
	r := got[0]
	if r.From != "chat@example.com" || len(r.To) != 1 || r.To[0] != "visitor@example.org" {
		t.Errorf("envelope %s → %v", r.From, r.To)
	}
	if s := r.Header("Subject"); s != "Ihr Gespräch" {
		t.Errorf("subject %q", s)
	}
	if f := r.Header("From"); f != `"Halo Chat" <chat@example.com>` {
		t.Errorf("from %q", f)
	}
	if got := r.Text(); got != text+"\n" {
		t.Errorf("text:\n%q\nwant\n%q", got, text)
	}
}

// A plain server still gets mail (on loopback, even with a login), but
// not when the URL requires STARTTLS: that refusal is permanent, as are
// a bad login and a 5xx answer; a 4xx answer is worth a retry.
func TestSendRefusals(t *testing.T) {
	ctx := context.Background()
	msg := message(t, "v@example.org", "s", "t")

	plain := smtptest.Start(t, smtptest.Options{User: "u", Password: "p"})
	if err := sender(t, plain, "").Send(ctx, "chat@example.com", "v@example.org", msg); err != nil {
		t.Errorf("plain loopback server: %v", err)
	}
	err := sender(t, plain, "?starttls=required").Send(ctx, "chat@example.com", "v@example.org", msg)
	if err == nil || !Permanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("starttls=required to a server without it: %v", err)
	}
	bad := sender(t, plain, "")
	bad.Server.Password = "wrong"
	if err := bad.Send(ctx, "chat@example.com", "v@example.org", msg); err == nil || !Permanent(err) {
		t.Errorf("bad login: %v, want a permanent error", err)
	}

	answers := []*smtp.SMTPError{
		{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"},
		{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "no thanks"},
	}
	refusing := smtptest.Start(t, smtptest.Options{Refuse: func(n int) *smtp.SMTPError { return answers[n%2] }})
	err = sender(t, refusing, "").Send(ctx, "chat@example.com", "v@example.org", msg)
	if err == nil || Permanent(err) || !strings.Contains(err.Error(), "try later") {
		t.Errorf("451: %v, want a temporary error", err)
	}
	err = sender(t, refusing, "").Send(ctx, "chat@example.com", "v@example.org", msg)
	if err == nil || !Permanent(err) || !strings.Contains(err.Error(), "no thanks") {
		t.Errorf("554: %v, want a permanent error", err)
	}
	if len(refusing.Received()) != 0 {
		t.Error("a refused message arrived")
	}
}

// No server listening, or one that never answers, is a temporary error
// within the timeout.
func TestSendTimesOut(t *testing.T) {
	s := Sender{Server: Server{Host: "127.0.0.1", Port: "1"}, Timeout: 2 * time.Second}
	if err := s.Send(context.Background(), "a@b.c", "d@e.f", []byte("x")); err == nil || Permanent(err) {
		t.Errorf("no server: %v, want a temporary error", err)
	}
}
