package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// TestWebhookAPIRefusesBadInput: every refusal names its field, and
// changes nothing.
func TestWebhookAPIRefusesBadInput(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		ok := map[string]any{"url": "https://example.com/hook", "events": []string{"chat.message"}}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for k, v := range ok {
				m[k] = v
			}
			m[k] = v
			return m
		}
		for _, c := range []struct {
			name string
			body any
			says string
		}{
			{"no url", with("url", ""), "url: is required"},
			{"a relative url", with("url", "/hook"), "url: must be an http or https URL"},
			{"another scheme", with("url", "ftp://example.com/x"), "url: must be an http or https URL"},
			{"no host", with("url", "https:///x"), "url: names no host"},
			{"credentials", with("url", "https://u:p@example.com/x"), "url: must not hold a user name"},
			{"not a URL", with("url", "http://[::1"), "url: is not a URL"},
			{"a long url", with("url", "https://example.com/"+strings.Repeat("a", 2000)), "url: is longer"},
			{"no events", with("events", []string{}), "events: name at least one of chat.started"},
			{"an unknown event", with("events", []string{"chat.message", "chat.deleted"}), `events[1]: "chat.deleted" is not an event type`},
			{"a control character", with("description", "a\x01b"), "description: holds a control character"},
			{"an unknown field", with("secret", "whsec_mine"), "secret"},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantError(t, f.call(t, f.admin, "POST", "/api/Webhook", c.body), 400, protocol.CodeInvalidRequest, c.says)
			})
		}
		if hooks, _ := f.st.ListWebhooks(context.Background()); len(hooks) != 0 {
			t.Errorf("refused creates stored %d webhooks", len(hooks))
		}
		wantError(t, f.call(t, f.agent, "GET", "/api/Webhook", nil), 403, "", "")
		wantError(t, f.call(t, f.plainClient, "POST", "/api/Webhook", ok), 403, "", "")
		wantError(t, f.call(t, f.admin, "GET", "/api/Webhook/999", nil), 404, protocol.CodeNotFound, "no webhook with id 999")
	})
}

// TestWebhookAPI: create (the secret shown once), read, update, rotate
// (the new secret shown once, the old one still signing), the delivery
// log with its paging and filter, resend, delete.
func TestWebhookAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		ctx := context.Background()
		c := must(t, f.call(t, f.adminClient, "POST", "/api/Webhook", map[string]any{"url": " https://crm.example/hooks ",
			"events": []string{"ticket.created", "chat.ended", "ticket.created"}, "description": "CRM"}), 201)
		sec, id := c.path("secret"), c.path("id")
		if !strings.HasPrefix(sec, "whsec_") || c.path("url") != "https://crm.example/hooks" || fmt.Sprint(c.body.(map[string]any)["events"]) != "[ticket.created chat.ended]" {
			t.Fatalf("created %s", c.raw)
		}
		got := must(t, f.call(t, f.admin, "GET", "/api/Webhook/"+id, nil), 200)
		list := must(t, f.call(t, f.admin, "GET", "/api/Webhook", nil), 200)
		if strings.Contains(got.raw+list.raw, sec) || strings.Contains(got.raw, `"secret"`) || got.path("description") != "CRM" {
			t.Errorf("a read shows the secret, or the webhook is wrong: %s", got.raw)
		}
		rot := must(t, f.call(t, f.admin, "POST", "/api/Webhook/"+id+"/secret", nil), 200)
		hook, err := f.st.GetWebhook(ctx, mustID(t, id))
		if err != nil || rot.path("secret") == sec || hook.Secret != rot.path("secret") || hook.PreviousSecret != sec ||
			rot.path("previousSecretUntil") == "" || len(hook.Secrets(f.st.Now())) != 2 {
			t.Errorf("rotated %s; stored %+v %v", rot.raw, hook, err)
		}
		up := must(t, f.call(t, f.admin, "PUT", "/api/Webhook/"+id, map[string]any{"url": "http://crm.example/v2",
			"events": []string{"ticket.created"}, "disabled": true}), 200)
		if up.path("url") != "http://crm.example/v2" || up.path("disabled") != "true" || up.path("description") != "" {
			t.Errorf("updated %s", up.raw)
		}
		must(t, f.call(t, f.admin, "PUT", "/api/Webhook/"+id, map[string]any{"url": "http://crm.example/v2", "events": []string{"ticket.created"}}), 200)
		wantError(t, f.call(t, f.admin, "PUT", "/api/Webhook/"+id, map[string]any{"id": 12345, "url": "http://crm.example/v2", "events": []string{"ticket.created"}}), 400, protocol.CodeInvalidRequest, "id")
		deliveryLog(t, f, id)
		must(t, f.call(t, f.admin, "DELETE", "/api/Webhook/"+id, nil), 204)
		wantError(t, f.call(t, f.admin, "GET", "/api/Webhook/"+id+"/deliveries", nil), 404, protocol.CodeNotFound, "")
	})
}

// deliveryLog checks GET /api/Webhook/{id}/deliveries and resend for the
// webhook (subscribed to ticket.created) with three tickets' events.
func deliveryLog(t *testing.T, f *apiFixture, id string) {
	t.Helper()
	ctx := context.Background()
	for i := range 3 {
		if err := f.st.CreateTicket(ctx, &store.Ticket{Summary: fmt.Sprint("ticket ", i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	page := must(t, f.call(t, f.admin, "GET", "/api/Webhook/"+id+"/deliveries?limit=2", nil), 200)
	ds := page.body.(map[string]any)["deliveries"].([]any)
	next := page.path("nextBefore")
	if len(ds) != 2 || next == "0" || next == "" {
		t.Fatalf("first page %s", page.raw)
	}
	first := ds[0].(map[string]any)
	if first["status"] != "pending" || first["eventType"] != "ticket.created" || first["nextAttemptAt"] == nil ||
		!strings.Contains(fmt.Sprint(first["payload"]), "ticket 2") {
		t.Errorf("newest delivery %v", first)
	}
	rest := must(t, f.call(t, f.admin, "GET", "/api/Webhook/"+id+"/deliveries?limit=2&before="+next, nil), 200)
	if n := len(rest.body.(map[string]any)["deliveries"].([]any)); n != 1 || rest.path("nextBefore") != "0" {
		t.Errorf("second page %s", rest.raw)
	}
	if failed := must(t, f.call(t, f.admin, "GET", "/api/Webhook/"+id+"/deliveries?status=failed", nil), 200); len(failed.body.(map[string]any)["deliveries"].([]any)) != 0 {
		t.Errorf("failed deliveries %s", failed.raw)
	}
	for q, says := range map[string]string{"status=lost": "status", "limit=0": "limit", "limit=1001": "limit", "before=x": "before"} {
		wantError(t, f.call(t, f.admin, "GET", "/api/Webhook/"+id+"/deliveries?"+q, nil), 400, protocol.CodeInvalidRequest, says)
	}
	did := fmt.Sprint(first["id"])
	// A failed delivery, resent: pending again, due now.
	if err := f.st.FinishDeliveries(ctx, []store.DeliveryResult{{ID: mustID(t, did), Status: protocol.DeliveryFailed,
		At: f.st.Now(), Next: f.st.Now(), HTTPStatus: 500, Error: "HTTP 500"}}); err != nil {
		t.Fatal(err)
	}
	r := must(t, f.call(t, f.admin, "POST", "/api/Webhook/"+id+"/deliveries/"+did+"/resend", nil), 200)
	if r.path("status") != "pending" || r.path("attempts") != "1" || r.path("lastError") != "HTTP 500" || r.path("lastStatus") != "500" {
		t.Errorf("resent %s", r.raw)
	}
	wantError(t, f.call(t, f.admin, "POST", "/api/Webhook/"+id+"/deliveries/99999/resend", nil), 404, protocol.CodeNotFound, "no delivery 99999")
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}
