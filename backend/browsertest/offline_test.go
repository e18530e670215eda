package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"halochat/backend/store"
)

// TestOutOfHoursTheWidgetTakesAMessage: out of the profile's opening
// hours the widget opens on the leave-a-message form instead of a chat,
// its e-mail prefilled from the page's identity token; the visitor sends
// it and reads the ticket's number, and an agent finds the ticket, with
// the chat custom fields the token carried, on the console's tickets page.
func TestOutOfHoursTheWidgetTakesAMessage(t *testing.T) {
	s := startStack(t)
	// Open only on the weekday three days from today (UTC): closed now.
	other := (int(time.Now().UTC().Weekday()) + 3) % 7
	s.updateProfile(t, func(p *store.ChatProfile) {
		p.Availability = store.Availability{TimeZone: "UTC", Weekly: []store.OpeningInterval{{Weekday: other, Start: "00:00", End: "24:00"}}}
	})
	b, _ := s.visitorOn(t, Options{}, "")
	if ev := b.waitEvent(t, "initialized", 1); ev.Detail["chatAvailable"] != false {
		t.Fatalf("initialized %v, want chatAvailable false out of hours", ev.Detail)
	}
	tok := s.token(t, jwt.MapClaims{"sub": "offline-7", "given_name": "Grace", "email": "grace@example.test",
		"CFcustomerTier": "gold", "Account Number": "A-77"})
	b.dispatch(t, "openChatWindow", map[string]any{"id_token": tok})
	w := b.widget(t, s.serviceURL)
	waitText(t, w, "#hc-offline", "Leave us a message")
	if got := b.valueIn(t, w, "hc-off-email"); got != "grace@example.test" {
		t.Errorf("the e-mail field holds %q, want the token's address", got)
	}
	if got := b.valueIn(t, w, "hc-off-name"); got != "Grace" {
		t.Errorf("the name field holds %q, want the token's name", got)
	}
	const text = "My order never arrived, please call me."
	if err := chromedp.Do(w, chromedp.SendKeys(chromedp.ID("hc-off-text"), text)); err != nil {
		t.Fatalf("type the message: %v", err)
	}
	click(t, w, "#hc-off-send", "Send message")
	waitText(t, w, "#hc-off-done", "ticket #")

	ts, err := s.store.ListTickets(context.Background(), store.TicketFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var tk *store.Ticket
	for i := range ts {
		if strings.Contains(ts[i].Details, text) {
			tk = &ts[i]
		}
	}
	if tk == nil {
		t.Fatalf("no ticket holds the message among %d", len(ts))
	}
	waitText(t, w, "#hc-off-done", fmt.Sprintf("ticket #%d", tk.ID))
	if n := b.count(t, "chatStarted"); n != 0 {
		t.Errorf("%d chats started out of hours", n)
	}

	a := New(t, Options{})
	a.ScreenshotOnFailure(t)
	a.signIn(t, s, s.demo.Agent.Email, s.demo.Agent.Password)
	a.openConsole(t, s.serviceURL+"/console/tickets")
	row := fmt.Sprintf(`tr[data-ticket="%d"]`, tk.ID)
	waitText(t, a.Ctx, row, "Offline message from Grace <grace@example.test>")
	click(t, a.Ctx, row+" .cc-ticket-link", fmt.Sprintf("#%d", tk.ID))
	waitText(t, a.Ctx, "#cc-ticket .cc-code", text)
	waitText(t, a.Ctx, `#cc-ticket-fields tr[data-field="CFcustomerTier"] .cc-field-value`, "gold")
	waitText(t, a.Ctx, `#cc-ticket-fields tr[data-field="CFaccountNumber"] .cc-field-value`, "A-77")
}

// valueIn is the value of the input id in the frame ctx.
func (b *Browser) valueIn(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById(`+jsString(id)+`).value`))
	if err != nil {
		t.Fatalf("read #%s: %v", id, err)
	}
	return v
}
