package browsertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// TestAdminManagesWebhooksAndResendsADelivery: the Webhooks page creates
// a webhook (the form checks the URL and that an event is picked; the
// secret is shown once, and is the one stored), edits its URL,
// description and events, disables it after asking, rotates its secret
// after asking, shows its delivery log — a delivery the outbound guard
// refused, with its attempts and last error — resends it (tried again at
// once), and deletes the webhook after asking.
func TestAdminManagesWebhooksAndResendsADelivery(t *testing.T) {
	s, b := adminSession(t)
	ctx := context.Background()
	b.openConsole(t, s.serviceURL+"/console/admin/webhooks")
	waitText(t, b.Ctx, "h1", "Webhooks")

	// The form refuses a URL that is not http(s), and no event.
	b.setValue(t, "wh-url", "ftp://crm.example/hooks")
	click(t, b.Ctx, "#wh-create", "Create webhook")
	b.expectBanner(t, b.Ctx, ".cc-error", "An http:// or https:// URL.")
	b.expectBanner(t, b.Ctx, ".cc-error", "Pick at least one event.")

	// Loopback is internal: the outbound guard will refuse each attempt.
	target := s.serviceURL + "/hooks/in"
	b.setValue(t, "wh-url", target)
	b.setValue(t, "wh-description", "CRM")
	b.js(t, `document.getElementById("wh-ev-ticket-created").click()`)
	click(t, b.Ctx, "#wh-create", "Create webhook")
	shown := b.shownSecret(t, "wh-secret")
	hooks, err := s.store.ListWebhooks(ctx)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks %+v, %v", hooks, err)
	}
	w := hooks[0]
	if w.Secret != shown || !strings.HasPrefix(shown, "whsec_") || w.URL != target || w.Description != "CRM" ||
		!slices.Equal([]string(w.Events), []string{protocol.WebhookTicketCreated}) {
		t.Fatalf("stored %+v; shown secret %q", w, shown)
	}
	row := fmt.Sprintf(`tr[data-id="%d"]`, w.ID)
	waitText(t, b.Ctx, row, "ticket.created")

	webhookEdits(t, s, b, w.ID)
	webhookLog(t, s, b, w.ID)

	b.editRow(t, w.ID)
	b.waitValue(t, "wh-e-url", target+"/v2")
	click(t, b.Ctx, "#wh-delete", "Delete")
	waitText(t, b.Ctx, "#wh-delete-confirm-box", "cannot be restored")
	confirmDelete(t, b, "wh-delete-confirm", "Delete the webhook", "Deleted the webhook", w.ID, s.store.GetWebhook)
}

// webhookEdits edits webhook id on the page: a refused save, then URL,
// description and events; a disable and a new secret, each asked first.
func webhookEdits(t *testing.T, s *stack, b *Browser, id int64) {
	t.Helper()
	ctx := context.Background()
	b.editRow(t, id)
	b.waitValue(t, "wh-e-description", "CRM")
	b.waitValue(t, "wh-e-ev-ticket-created", "true")
	b.js(t, `document.getElementById("wh-e-ev-ticket-created").click()`)
	b.saveRefused(t, "wh", "Not saved: fix the fields marked.", [2]string{"events", "Pick at least one event."})

	b.setValue(t, "wh-e-url", s.serviceURL+"/hooks/in/v2")
	b.setValue(t, "wh-e-description", "CRM, v2")
	b.js(t, `document.getElementById("wh-e-ev-ticket-created").click()`)
	b.js(t, `document.getElementById("wh-e-ev-chat-ended").click()`)
	click(t, b.Ctx, "#wh-edit-save", "Save")
	waitText(t, b.Ctx, "#wh-edit .cc-ok", "Saved.")
	got, err := s.store.GetWebhook(ctx, id)
	if err != nil || got.URL != s.serviceURL+"/hooks/in/v2" || got.Description != "CRM, v2" ||
		!slices.Equal([]string(got.Events), []string{protocol.WebhookChatEnded, protocol.WebhookTicketCreated}) {
		t.Fatalf("stored %+v, %v", got, err)
	}

	b.js(t, `document.getElementById("wh-e-disabled").click()`)
	click(t, b.Ctx, "#wh-edit-save", "Save")
	waitText(t, b.Ctx, "#wh-disable-confirm-box", "are not recorded for it")
	if got, _ := s.store.GetWebhook(ctx, id); got == nil || got.Disabled {
		t.Fatal("asking to disable disabled")
	}
	click(t, b.Ctx, "#wh-disable-confirm", "Disable the webhook")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, id), "disabled")
	b.waitValue(t, "wh-e-disabled", "true")
	b.js(t, `document.getElementById("wh-e-disabled").click()`) // enable again: no question
	click(t, b.Ctx, "#wh-edit-save", "Save")
	waitText(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"]`, id), "enabled")

	old := got.Secret
	click(t, b.Ctx, "#wh-rotate", "New secret")
	waitText(t, b.Ctx, "#wh-rotate-confirm-box", "keeps signing beside it for 24 hours")
	click(t, b.Ctx, "#wh-rotate-confirm", "Make a new secret")
	shown := b.shownSecret(t, "wh-secret")
	if got, err = s.store.GetWebhook(ctx, id); err != nil || got.Secret != shown || got.PreviousSecret != old || shown == old {
		t.Fatalf("after the rotation %+v (shown %q), %v", got, shown, err)
	}
	click(t, b.Ctx, "#wh-edit-cancel", "Cancel")
}

// webhookLog opens webhook id's delivery log: a ticket's delivery,
// refused by the outbound guard, shown with its attempts and error;
// Resend has it tried again at once.
func webhookLog(t *testing.T, s *stack, b *Browser, id int64) {
	t.Helper()
	ctx := context.Background()
	if err := s.store.CreateTicket(ctx, &store.Ticket{Summary: "for the webhook"}, nil); err != nil {
		t.Fatal(err)
	}
	attempts := func(want int64) store.Delivery {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ds, err := s.store.ListDeliveries(ctx, id, store.DeliveryFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) == 1 && ds[0].Attempts >= want {
				return ds[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("deliveries %+v, want one with %d attempts", ds, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	d := attempts(1)
	if d.Status != protocol.DeliveryPending || d.LastError == "" {
		t.Fatalf("the refused delivery: %+v", d)
	}
	click(t, b.Ctx, fmt.Sprintf(`tr[data-id="%d"] .cc-deliveries`, id), "Deliveries")
	dRow := fmt.Sprintf(`#wh-log tr[data-delivery="%d"]`, d.ID)
	waitText(t, b.Ctx, dRow, "ticket.created")
	waitText(t, b.Ctx, dRow+" .cc-status", "pending")
	waitText(t, b.Ctx, dRow+" .cc-last-error", d.LastError[:20])
	// The next retry is 5 s or more away: a resend is tried at once.
	d = attempts(1)
	resent := time.Now()
	click(t, b.Ctx, dRow+" .cc-resend", "Resend")
	waitText(t, b.Ctx, "#wh-log .cc-ok", "will be sent again now")
	d = attempts(d.Attempts + 1)
	if took := time.Since(resent); took > 3*time.Second {
		t.Errorf("the resent delivery was tried %v after Resend", took)
	}
	click(t, b.Ctx, "#wh-log-refresh", "Refresh")
	waitText(t, b.Ctx, dRow, fmt.Sprint(d.Attempts))
}

// shownSecret waits for the box (id) showing a secret just made, this
// once, and returns the secret.
func (b *Browser) shownSecret(t *testing.T, id string) string {
	t.Helper()
	waitText(t, b.Ctx, "#"+id, "shown this once")
	shown, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.querySelector("#`+id+` pre").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	return shown
}
