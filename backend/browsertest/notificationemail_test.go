package browsertest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/app/protocol"
	"halochat/backend/mail"
	"halochat/backend/mail/smtptest"
	"halochat/backend/testenv/loopback"
)

// TestAdminSetsTheNotificationAddress: on the profile page of a service
// that sends mail, the admin types a notification address; one that is
// not an address is refused at its field (the service's 400 naming
// notificationEmail), a good one is saved and the API reads it back. On
// a service without SMTP the field is disabled, with a note saying why.
func TestAdminSetsTheNotificationAddress(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	server, err := mail.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	from, _ := mail.ParseFrom("Halo Chat <chat@example.com>")
	s := startStackWith(t, loopback.Options{Mail: &mail.DispatchConfig{Sender: mail.Sender{Server: server}, From: from}})
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.Allow("400 (Bad Request)")
	b.signIn(t, s, s.demo.Admin.Email, s.demo.Admin.Password)
	id := s.demo.Profile.ID
	b.openConsole(t, s.serviceURL+"/console/admin/profile?id="+url.QueryEscape(id))
	waitText(t, b.Ctx, "h1", "Chat profile: ")
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`(function(){var e=document.getElementById("pf-notificationEmail"); return !!e && !e.disabled})()`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the notification address stays disabled on a service that sends mail: %v", err)
	}
	if off, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`!!document.getElementById("pf-mail-off")`)); err != nil || off {
		t.Errorf("the no-SMTP note shows on a service that sends mail (%v)", err)
	}

	// The browser's own check (type=email) lets this through; the
	// service refuses it (two dots in a row).
	b.setValue(t, "pf-notificationEmail", "desk..team@example.com")
	click(t, b.Ctx, "#pf-save", "Save")
	b.ExpectBanner("desk..team@example.com")
	waitText(t, b.Ctx, `.cc-row[data-field="notificationEmail"] .cc-field-error`, `"desk..team@example.com" is not an e-mail address`)
	waitText(t, b.Ctx, ".cc-error", "notificationEmail")

	b.setValue(t, "pf-notificationEmail", "desk@example.com")
	click(t, b.Ctx, "#pf-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved.")
	tok, _, err := s.svc.Auth.Login(context.Background(), s.demo.Admin.Email, s.demo.Admin.Password)
	if err != nil {
		t.Fatal(err)
	}
	var got protocol.ChatProfile
	s.api.Bearer(tok).For(t).Do("GET", "/api/ChatProfile/"+url.PathEscape(id), nil).Expect(200).Decode(&got)
	if got.NotificationEmail != "desk@example.com" {
		t.Errorf("the API reads notificationEmail %q, want desk@example.com", got.NotificationEmail)
	}

	// Without SMTP: disabled, with the note.
	plain := startStack(t)
	pb := New(t, Options{})
	pb.ScreenshotOnFailure(t)
	pb.signIn(t, plain, plain.demo.Admin.Email, plain.demo.Admin.Password)
	pb.openConsole(t, plain.serviceURL+"/console/admin/profile?id="+url.QueryEscape(plain.demo.Profile.ID))
	waitText(t, pb.Ctx, "#pf-mail-off", "sends no e-mail")
	if disabled, err := chromedp.Run(pb.Ctx, chromedp.Evaluate[bool](`document.getElementById("pf-notificationEmail").disabled`)); err != nil || !disabled {
		t.Errorf("the notification address is editable on a service without SMTP (%v)", err)
	}
}
