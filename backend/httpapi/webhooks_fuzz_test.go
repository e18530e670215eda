package httpapi

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"halochat/app/protocol"
)

// FuzzWebhookInput: whatever an admin sends as a webhook's URL, events
// and delivery log query, the checks never panic, and what they accept
// is an http(s) URL with a host and known events, each once.
func FuzzWebhookInput(f *testing.F) {
	f.Add("https://crm.example/hooks?x=1", "chat.message,chat.message", "status=failed&limit=10&before=5")
	f.Add("http://[::1]:8080/", "ticket.updated", "before=-1")
	f.Add("https://u:p@x/", "", "limit=99999999999999999999")
	f.Add("javascript:alert(1)", "chat.rated", "status=%00")
	f.Fuzz(func(t *testing.T, rawURL, events, query string) {
		in := &protocol.WebhookInput{URL: rawURL, Events: strings.Split(events, ",")}
		if w, err := buildWebhook(t.Context(), nil, in); err == nil {
			u, perr := url.Parse(w.URL)
			if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
				t.Errorf("accepted URL %q", w.URL)
			}
			for i, e := range w.Events {
				if !slices.Contains(protocol.WebhookEventTypes(), e) || slices.Index(w.Events, e) != i {
					t.Errorf("accepted events %v", w.Events)
				}
			}
		}
		r := httptest.NewRequest("GET", "/api/Webhook/1/deliveries", nil)
		r.URL.RawQuery = query
		if f, err := deliveryFilter(r); err == nil && (f.Limit < 0 || f.Limit > 1000 || f.Before < 0) {
			t.Errorf("accepted filter %+v from %q", f, query)
		}
	})
}
