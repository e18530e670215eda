package store

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"halochat/app/protocol"
)

// SecretOverlap is how long a rotated webhook secret keeps signing
// deliveries beside its successor, so that a receiver can switch
// without losing one (Standard Webhooks' zero-downtime rotation).
const SecretOverlap = 24 * time.Hour

// Webhook is an endpoint the service POSTs its events to. The secret
// (whsec_…) is stored as is: signing needs it.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks,alias:wh"`

	ID          int64      `bun:"id,pk,autoincrement"`
	URL         string     `bun:"url"` // http or https
	Description string     `bun:"description"`
	Events      StringList `bun:"events"` // protocol.WebhookEventTypes, each once
	Secret      string     `bun:"secret"`
	// PreviousSecret signs beside Secret until PreviousUntil (after a
	// rotation).
	PreviousSecret string    `bun:"previous_secret"`
	PreviousUntil  time.Time `bun:"previous_until,nullzero"`
	Disabled       bool      `bun:"disabled"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// Secrets are the secrets that sign a delivery made at now: the current
// one, and the previous one while its overlap lasts.
func (w *Webhook) Secrets(now time.Time) []string {
	if w.PreviousSecret != "" && now.Before(w.PreviousUntil) {
		return []string{w.Secret, w.PreviousSecret}
	}
	return []string{w.Secret}
}

func checkWebhook(what string, w *Webhook) error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(what, "url %q is not an absolute http(s) URL", w.URL)
	}
	if len(w.Events) == 0 {
		return invalid(what, "events: none")
	}
	for _, e := range w.Events {
		if !slices.Contains(protocol.WebhookEventTypes(), e) {
			return invalid(what, "events: %q is not an event type", e)
		}
	}
	if w.Secret == "" {
		return invalid(what, "secret is empty")
	}
	return checkClearSecrets(what, w)
}

// CreateWebhook stores a new webhook (its secret made by the caller).
// From its commit on, every change of a subscribed type is recorded for
// it (outbox.go reads the webhooks in each change's transaction).
func (s *Store) CreateWebhook(ctx context.Context, w *Webhook) error {
	return create(ctx, s, "create webhook", w, checkWebhook)
}

// GetWebhook returns the webhook with that id.
func (s *Store) GetWebhook(ctx context.Context, id int64) (*Webhook, error) {
	what := fmt.Sprintf("get webhook %d", id)
	w, err := getBy[Webhook](ctx, s.db, what, "id", id)
	return openOne(s, what, w, err)
}

// ListWebhooks returns every webhook by id.
func (s *Store) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	ws, err := list[Webhook](ctx, s.db, "list webhooks", orderBy("wh.id"))
	return openAll(s, "list webhooks", ws, err)
}

// UpdateWebhook saves every field of w but its creation time.
func (s *Store) UpdateWebhook(ctx context.Context, w *Webhook) error {
	return update(ctx, s, fmt.Sprintf("update webhook %d", w.ID), w, checkWebhook)
}

// RotateWebhookSecret makes secret the webhook's secret; the one it
// replaces keeps signing beside it for SecretOverlap. It returns the
// webhook as stored.
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64, secret string) (*Webhook, error) {
	what := fmt.Sprintf("rotate the secret of webhook %d", id)
	noteAudit(ctx, "secret", AuditChanged)
	var w *Webhook
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if w, err = getBy[Webhook](ctx, tx, what, "id", id); err != nil {
			return err
		}
		if err := s.open(what, w); err != nil {
			return err
		}
		now := s.Now()
		w.PreviousSecret, w.PreviousUntil, w.Secret, w.UpdatedAt = w.Secret, now.Add(SecretOverlap), secret, now
		if err := checkWebhook(what, w); err != nil {
			return err
		}
		return wrap(s.withSealed(w, func() error {
			_, err := tx.NewUpdate().Model(w).WherePK().Column("secret", "previous_secret", "previous_until", "updated_at").Exec(ctx)
			return err
		}), what)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// DeleteWebhook deletes a webhook and its delivery log.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	return deleteWhere[Webhook](ctx, s, fmt.Sprintf("delete webhook %d", id), "id = ?", id)
}
