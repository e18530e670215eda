package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/webhook"
)

// maxWebhookURL bounds a webhook's URL.
const maxWebhookURL = 2000

func webhookRoutes(a *IdentityAPI, admin string) []apiRoute {
	hooks := a.webhooks()
	return []apiRoute{
		{"GET", "/api/Webhook", admin, "List webhooks (never their secrets)", "", "[]Webhook", 200, hooks.listAll},
		{"POST", "/api/Webhook", admin, "Create a webhook; the answer holds its signing secret (whsec_…), shown this once", "WebhookInput", "WebhookWithSecret", 201, a.createWebhook},
		{"GET", "/api/Webhook/{id}", admin, "Get a webhook", "", "Webhook", 200, hooks.getOne},
		{"PUT", "/api/Webhook/{id}", admin, "Update a webhook's URL, events, description and disabled flag", "WebhookInput", "Webhook", 200, hooks.updateOne},
		{"DELETE", "/api/Webhook/{id}", admin, "Delete a webhook and its delivery log", "", "", 204, hooks.deleteOne},
		{"POST", "/api/Webhook/{id}/secret", admin, "Rotate a webhook's secret; the answer holds the new one, shown this once. For 24 hours deliveries carry a signature with each", "", "WebhookWithSecret", 200, a.rotateWebhookSecret},
		{"GET", "/api/Webhook/{id}/deliveries", admin, "A webhook's delivery log, newest first (?status=pending|delivered|failed&before=&limit=, at most 1000)", "", "WebhookDeliveries", 200, a.listDeliveries},
		{"POST", "/api/Webhook/{id}/deliveries/{did}/resend", admin, "Send a delivery again (with its event id) now, with a new day of retries", "", "WebhookDelivery", 200, a.resendDelivery},
	}
}

func webhookJSON(w *store.Webhook) protocol.Webhook {
	j := protocol.Webhook{ID: w.ID, URL: w.URL, Description: w.Description, Events: []string(w.Events),
		Disabled: w.Disabled, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if j.Events == nil {
		j.Events = []string{}
	}
	if w.PreviousSecret != "" && time.Now().Before(w.PreviousUntil) {
		until := w.PreviousUntil
		j.PreviousSecretUntil = &until
	}
	return j
}

// webhooks are the webhooks (/api/Webhook).
func (a *IdentityAPI) webhooks() resource[store.Webhook, protocol.WebhookInput, protocol.Webhook] {
	return resource[store.Webhook, protocol.WebhookInput, protocol.Webhook]{
		load:   a.webhookByPath,
		list:   all(a.Store.ListWebhooks),
		show:   shown(webhookJSON),
		build:  buildWebhook,
		update: a.Store.UpdateWebhook,
		remove: func(ctx context.Context, w *store.Webhook) error { return a.Store.DeleteWebhook(ctx, w.ID) },
	}
}

func (a *IdentityAPI) webhookByPath(ctx context.Context, r *http.Request) (*store.Webhook, error) {
	return byPathID(ctx, r, "webhook", a.Store.GetWebhook)
}

// createWebhook creates a webhook with a secret made for it, which the
// answer shows this once.
func (a *IdentityAPI) createWebhook(w http.ResponseWriter, r *http.Request) error {
	sec := webhook.NewSecret()
	res := a.webhooks()
	res.create = func(ctx context.Context, h *store.Webhook) error {
		h.Secret = sec
		return a.Store.CreateWebhook(ctx, h)
	}
	res.created = func(h *store.Webhook) any {
		return protocol.WebhookWithSecret{Webhook: webhookJSON(h), Secret: sec}
	}
	return res.createOne(w, r)
}

// buildWebhook validates in and returns the webhook to store: a new one
// when cur is nil, else cur as in changes it.
func buildWebhook(_ context.Context, cur *store.Webhook, in *protocol.WebhookInput) (*store.Webhook, error) {
	if cur != nil {
		if err := pathIDIs(in.ID, cur.ID); err != nil {
			return nil, err
		}
	}
	u := strings.TrimSpace(in.URL)
	if err := checkWebhookURL(u); err != nil {
		return nil, err
	}
	if err := textField("description", in.Description, false, 500); err != nil {
		return nil, err
	}
	events, err := checkWebhookEvents(in.Events)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		cur = &store.Webhook{}
	}
	cur.URL, cur.Description, cur.Events, cur.Disabled = u, strings.TrimSpace(in.Description), events, in.Disabled
	return cur, nil
}

// checkWebhookURL refuses what is not an absolute http(s) URL a POST can
// go to. (Where it points is the outbound guard's to judge, at each
// delivery: a name may resolve elsewhere tomorrow.)
func checkWebhookURL(u string) error {
	if u == "" {
		return apiInvalid("url", "is required")
	}
	if len(u) > maxWebhookURL {
		return apiInvalid("url", "is longer than %d bytes", maxWebhookURL)
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return apiInvalid("url", "is not a URL: %v", errors.Unwrap(err))
	case p.Scheme != "http" && p.Scheme != "https":
		return apiInvalid("url", "must be an http or https URL, not %q", p.Scheme)
	case p.Host == "" || p.Hostname() == "":
		return apiInvalid("url", "names no host")
	case p.User != nil:
		return apiInvalid("url", "must not hold a user name or password: deliveries are signed instead")
	case p.Fragment != "" || strings.ContainsAny(u, " \t\r\n"):
		return apiInvalid("url", "must hold no fragment and no spaces")
	}
	return nil
}

// checkWebhookEvents checks the event types (at least one, each known)
// and returns them without duplicates, in the order given.
func checkWebhookEvents(events []string) (store.StringList, error) {
	if len(events) == 0 {
		return nil, apiInvalid("events", "name at least one of %s", strings.Join(protocol.WebhookEventTypes(), ", "))
	}
	out := store.StringList{}
	for i, e := range events {
		if !slices.Contains(protocol.WebhookEventTypes(), e) {
			return nil, apiInvalid(fmt.Sprintf("events[%d]", i), "%q is not an event type: use %s", e, strings.Join(protocol.WebhookEventTypes(), ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (a *IdentityAPI) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	h, err := a.webhookByPath(r.Context(), r)
	if err != nil {
		return err
	}
	sec := webhook.NewSecret()
	if h, err = a.Store.RotateWebhookSecret(r.Context(), h.ID, sec); err != nil {
		return err
	}
	return writeOK(w, http.StatusOK, protocol.WebhookWithSecret{Webhook: webhookJSON(h), Secret: sec})
}

func deliveryJSON(d *store.Delivery) protocol.WebhookDelivery {
	j := protocol.WebhookDelivery{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status,
		Attempts: d.Attempts, LastError: d.LastError, LastStatus: d.LastStatus, CreatedAt: d.CreatedAt,
		Payload: []byte(d.Payload)}
	if d.Status == protocol.DeliveryPending {
		next := d.NextAttemptAt
		j.NextAttemptAt = &next
	}
	if !d.DeliveredAt.IsZero() {
		at := d.DeliveredAt
		j.DeliveredAt = &at
	}
	return j
}

// deliveryFilter reads ?status=&before=&limit=.
func deliveryFilter(r *http.Request) (store.DeliveryFilter, error) {
	q := r.URL.Query()
	f := store.DeliveryFilter{Status: q.Get("status")}
	if f.Status != "" && !slices.Contains([]string{protocol.DeliveryPending, protocol.DeliveryDelivered, protocol.DeliveryFailed}, f.Status) {
		return f, apiInvalid("status", "%q is not pending, delivered or failed", f.Status)
	}
	for _, p := range []struct {
		name string
		to   *int64
		max  int64
	}{{"before", &f.Before, 1<<63 - 1}, {"limit", &f.Limit, store.MaxLimit}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 || n > p.max {
			return f, apiInvalid(p.name, "must be a whole number from 1 to %d", p.max)
		}
		*p.to = n
	}
	return f, nil
}

func (a *IdentityAPI) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	h, err := a.webhookByPath(r.Context(), r)
	if err != nil {
		return err
	}
	f, err := deliveryFilter(r)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = store.DefaultLimit
	}
	ds, err := a.Store.ListDeliveries(r.Context(), h.ID, f)
	if err != nil {
		return err
	}
	out := protocol.WebhookDeliveries{Deliveries: make([]protocol.WebhookDelivery, len(ds))}
	for i := range ds {
		out.Deliveries[i] = deliveryJSON(&ds[i])
	}
	if int64(len(ds)) == f.Limit {
		out.NextBefore = ds[len(ds)-1].ID
	}
	return writeOK(w, http.StatusOK, out)
}

func (a *IdentityAPI) resendDelivery(w http.ResponseWriter, r *http.Request) error {
	h, err := a.webhookByPath(r.Context(), r)
	if err != nil {
		return err
	}
	did, err := strconv.ParseInt(r.PathValue("did"), 10, 64)
	if err != nil || did <= 0 {
		return apiNotFound("no delivery %q", r.PathValue("did"))
	}
	d, err := a.Store.ResendDelivery(r.Context(), h.ID, did)
	if errors.Is(err, store.ErrNotFound) {
		return apiNotFound("webhook %d has no delivery %d", h.ID, did)
	}
	if err != nil {
		return err
	}
	j := deliveryJSON(d)
	return writeOK(w, http.StatusOK, j)
}
