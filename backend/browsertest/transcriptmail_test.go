package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/backend/mail"
	"halochat/backend/mail/smtptest"
	"halochat/backend/testenv/loopback"
)

// TestVisitorMailsTheTranscriptToThemselves: under the rating of an ended
// chat, "E-mail me the transcript" (the address the visitor types) puts
// the chat's transcript into a real SMTP server on loopback; a service
// without SMTP does not offer it.
func TestVisitorMailsTheTranscriptToThemselves(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "chat@example.com", Password: "pw"})
	server, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	server.TLS = srv.ClientTLS()
	from, _ := mail.ParseFrom("Halo Chat <chat@example.com>")
	s := startStackWith(t, loopback.Options{Mail: &mail.DispatchConfig{Sender: mail.Sender{Server: server}, From: from,
		Poll: 100 * time.Millisecond}})
	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Welcome")
	click(t, w, "#hc-end", "End chat")
	click(t, w, "#hc-end-yes", "End chat")
	waitText(t, w, "#hc-rating-q", "How was this chat?")
	waitText(t, w, "#hc-mail-send", "E-mail me the transcript")
	if err := chromedp.Do(w, chromedp.Evaluate[chromedp.Void](`document.getElementById("hc-mail-email").value = ""`),
		chromedp.SendKeys(chromedp.ID("hc-mail-email"), "ada@example.com"), chromedp.Click(chromedp.ID("hc-mail-send"))); err != nil {
		t.Fatalf("ask for the transcript: %v", err)
	}
	waitText(t, w, "#hc-mail-sent", "The transcript is on its way to ada@example.com.")
	got := srv.Wait(t, 1, 20*time.Second)[0]
	if got.To[0] != "ada@example.com" || !strings.HasPrefix(got.Header("Subject"), "Your chat with") ||
		!strings.Contains(got.Text(), "Welcome") {
		t.Errorf("mail to %v %q:\n%s", got.To, got.Header("Subject"), got.Text())
	}

	plain := startStack(t)
	pb, _ := plain.visitorOn(t, Options{}, "")
	pb.dispatch(t, "openChatWindow", nil)
	pb.waitEvent(t, "chatStarted", 1)
	pw := pb.widget(t, plain.serviceURL)
	waitText(t, pw, ".hc-msg", "Welcome")
	click(t, pw, "#hc-end", "End chat")
	click(t, pw, "#hc-end-yes", "End chat")
	waitText(t, pw, "#hc-rating-q", "How was this chat?")
	if offered, err := chromedp.Run(pw, chromedp.Evaluate[bool](`!!document.getElementById("hc-mail")`)); err != nil || offered {
		t.Errorf("a service without SMTP offers the transcript by e-mail (%v)", err)
	}
}
