package chatapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"halochat/app/protocol"
	"halochat/backend/mail/smtptest"
)

// waitMetric scrapes the node until the metric has want (failing after
// 20 s): the dispatcher counts in the background.
func waitMetric(t *testing.T, n *node, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := value(scrape(t, n), name, labels...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The mail metrics follow the outbox: each transcript mail queued is
// counted by kind, each attempt by its outcome (a 550 fails the first
// mail for good, the second is delivered, a 451 leaves the third to a
// retry), and the backlog gauge counts the mail still waiting.
func TestMailMetricsFollowTheOutbox(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		srv := smtptest.Start(t, smtptest.Options{Refuse: func(n int) *smtp.SMTPError {
			switch n {
			case 0:
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			case 1:
				return nil
			}
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "greylisted"}
		}})
		n := e.node(nodeOpts{mail: mailTo(t, srv)})
		fams := scrape(t, n)
		for _, c := range []struct {
			name   string
			labels []string
		}{
			{"halochat_mails_queued_total", []string{"kind", "transcript"}},
			{"halochat_mails_queued_total", []string{"kind", "notification"}},
			{"halochat_mail_attempts_total", []string{"kind", "transcript", "outcome", "delivered"}},
			{"halochat_mail_backlog", nil},
			{"halochat_mail_backlog_oldest_seconds", nil},
		} {
			if got := value(fams, c.name, c.labels...); got != 0 {
				t.Errorf("before any mail, %s%v = %v, want 0", c.name, c.labels, got)
			}
		}
		resp := n.mustStart(protocol.StartChatRequest{})
		mailIt := func() {
			t.Helper()
			if code := n.call("POST", "/chat/api/v1/chats/"+resp.ChatID+"/transcript", protocol.TranscriptMailRequest{Email: "ada@example.com"},
				nil, hdr(resp.ResumeSecret)...); code != http.StatusAccepted {
				t.Fatalf("transcript: %d", code)
			}
		}
		mailIt()
		waitMetric(t, n, 1, "halochat_mail_attempts_total", "kind", "transcript", "outcome", "failed")
		mailIt()
		waitMetric(t, n, 1, "halochat_mail_attempts_total", "kind", "transcript", "outcome", "delivered")
		waitMetric(t, n, 0, "halochat_mail_backlog")
		mailIt()
		waitMetric(t, n, 1, "halochat_mail_attempts_total", "kind", "transcript", "outcome", "retry")
		fams = scrape(t, n)
		if got := value(fams, "halochat_mails_queued_total", "kind", "transcript"); got != 3 {
			t.Errorf("transcript mails queued: %v, want 3", got)
		}
		if got := value(fams, "halochat_mail_backlog"); got != 1 {
			t.Errorf("backlog with a mail to retry: %v, want 1", got)
		}
		if got := value(fams, "halochat_mail_backlog_oldest_seconds"); got < 0 || got > 60 {
			t.Errorf("the waiting mail's age: %v s", got)
		}
		if got := len(srv.Received()); got != 1 {
			t.Errorf("the SMTP server took %d mails, want 1", got)
		}
	})
}
