package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"halochat/app/protocol"
)

// Delivery is one event on its way to one webhook: a row of the outbox
// (outbox.go), and of the webhook's delivery log.
type Delivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries,alias:d"`

	ID        int64   `bun:"id,pk,autoincrement"`
	WebhookID int64   `bun:"webhook_id"`
	EventID   string  `bun:"event_id"` // the webhook-id header
	EventType string  `bun:"event_type"`
	Chain     string  `bun:"chain"`   // delivered in id order with the others of its chain
	Payload   RawJSON `bun:"payload"` // the body: a protocol.WebhookEvent
	Status    string  `bun:"status"`  // protocol.Delivery*
	Attempts  int64   `bun:"attempts"`
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt time.Time `bun:"next_attempt_at"`
	// LockedUntil is the lease of the dispatcher delivering it: no
	// other takes it before then.
	LockedUntil time.Time `bun:"locked_until,nullzero"`
	// RetryUntil is when a delivery still failing is given up.
	RetryUntil  time.Time `bun:"retry_until"`
	LastError   string    `bun:"last_error"`
	LastStatus  int64     `bun:"last_status"` // HTTP status of the last answer; 0: none
	CreatedAt   time.Time `bun:"created_at"`
	DeliveredAt time.Time `bun:"delivered_at,nullzero"`
}

// ClaimedDelivery is a delivery a dispatcher holds, with where to send
// it and what signs it.
type ClaimedDelivery struct {
	Delivery
	URL     string
	Secrets []string // the webhook's, at the claim (Webhook.Secrets)
}

// ClaimDeliveries leases up to limit due deliveries to the caller until
// now+lease: pending, due, of an enabled webhook, and each the oldest
// pending one of its chain for its webhook (a chain's next event waits
// until the one before is delivered or failed). On PostgreSQL the rows
// are taken FOR UPDATE SKIP LOCKED, so dispatchers on many nodes claim
// at once and never the same row; SQLite has one writer, and the
// transaction alone suffices.
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]ClaimedDelivery, error) {
	const what = "claim webhook deliveries"
	now := s.Now()
	claimed, err := claimRows[Delivery](ctx, s, what, now.Add(lease), "UPDATE OF d SKIP LOCKED",
		func(db bun.IDB) *bun.SelectQuery {
			return db.NewSelect().Model((*Delivery)(nil)).Column("id").Where("status = ?", protocol.DeliveryPending).
				Where("next_attempt_at <= ?", now)
		},
		func(tx bun.IDB) *bun.SelectQuery {
			return tx.NewSelect().Model((*Delivery)(nil)).Column("d.id").
				Join("JOIN webhooks AS wh ON wh.id = d.webhook_id AND NOT wh.disabled").
				Where("d.status = ?", protocol.DeliveryPending).Where("d.next_attempt_at <= ?", now).
				Where("(d.locked_until IS NULL OR d.locked_until <= ?)", now).
				Where(`NOT EXISTS (SELECT 1 FROM webhook_deliveries AS e WHERE e.webhook_id = d.webhook_id
				AND e.chain = d.chain AND e.status = ? AND e.id < d.id)`, protocol.DeliveryPending).
				OrderExpr("d.next_attempt_at, d.id").Limit(int64(limit))
		})
	if err != nil || len(claimed) == 0 {
		return nil, err
	}
	return s.withWebhooks(ctx, what, now, claimed)
}

// ClaimChains leases, like ClaimDeliveries, the due heads of up to chains
// chains (each the oldest pending delivery of its chain for its webhook)
// and, after each head, the pending deliveries that follow it in its
// chain, up to rows in all: one claim takes a chain's backlog, to be
// delivered one after another in id order (a dispatcher then needs one
// claim a chain, not one an event, to keep pace with a busy chat). The
// rows after a head cannot be claimed by anyone else meanwhile: none is
// a head while the head is pending, and each is leased with it. The
// answer is in id order; each chain's rows are a prefix of its backlog.
func (s *Store) ClaimChains(ctx context.Context, chains, rows int, lease time.Duration) ([]ClaimedDelivery, error) {
	const what = "claim webhook deliveries"
	heads, err := s.ClaimDeliveries(ctx, chains, lease)
	if err != nil || len(heads) == 0 || rows <= len(heads) {
		return heads, err
	}
	now := s.Now()
	headIDs := make([]int64, len(heads))
	for i, h := range heads {
		headIDs[i] = h.ID
	}
	var more []Delivery
	err = s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		if err := tx.NewSelect().TableExpr("webhook_deliveries AS e").Column("e.id").
			Join("JOIN webhook_deliveries AS h ON h.webhook_id = e.webhook_id AND h.chain = e.chain AND e.id > h.id").
			Where("h.id IN (?)", bun.List(headIDs)).Where("e.status = ?", protocol.DeliveryPending).
			Where("(e.locked_until IS NULL OR e.locked_until <= ?)", now).
			OrderExpr("e.id").Limit(int64(rows-len(heads))).Scan(ctx, &ids); err != nil {
			return wrap(err, what)
		}
		var err error
		more, err = leaseRows[Delivery](ctx, tx, ids, now.Add(lease))
		return wrap(err, what)
	})
	if err != nil {
		// The heads are leased: their lease runs out, and they are
		// claimed again then.
		return nil, err
	}
	tail, err := s.withWebhooks(ctx, what, now, more)
	if err != nil {
		return nil, err
	}
	all := append(heads, tail...)
	slices.SortFunc(all, func(a, b ClaimedDelivery) int { return cmp.Compare(a.ID, b.ID) })
	return all, nil
}

// ReleaseDeliveries ends the leases of claimed deliveries that were not
// attempted (a chain's rows after one that failed): they are due again
// at once, unchanged.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.NewUpdate().Model((*Delivery)(nil)).Set("locked_until = NULL").
		Where("id IN (?)", bun.List(ids)).Where("status = ?", protocol.DeliveryPending).Exec(ctx)
	return wrap(err, "release webhook deliveries")
}

// claimRows is how an outbox (webhook deliveries, mails) is claimed:
// a look with peek first, outside any transaction (most polls find
// nothing, and on SQLite a transaction takes the one write turn); then,
// in one, the ids pick selects — FOR forUpdate (… SKIP LOCKED) on
// PostgreSQL, so claimants on many nodes never take the same row; SQLite
// has one writer, and the transaction alone suffices — leased until
// until (leaseRows).
func claimRows[T any](ctx context.Context, s *Store, what string, until time.Time, forUpdate string,
	peek, pick func(bun.IDB) *bun.SelectQuery) ([]T, error) {
	var due []int64
	if err := peek(s.db).Limit(1).Scan(ctx, &due); err != nil {
		return nil, wrap(err, what)
	}
	if len(due) == 0 {
		return nil, nil
	}
	var claimed []T
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := pick(tx)
		if s.dialect == DialectPostgres {
			q = q.For(forUpdate)
		}
		var ids []int64
		if err := q.Scan(ctx, &ids); err != nil {
			return wrap(err, what)
		}
		var err error
		claimed, err = leaseRows[T](ctx, tx, ids, until)
		return wrap(err, what)
	})
	return claimed, err
}

// leaseRows leases the outbox rows ids (of T: webhook deliveries,
// mails) until until, in transaction tx, and returns them in id order:
// both outboxes claim this way.
func leaseRows[T any](ctx context.Context, tx bun.Tx, ids []int64, until time.Time) ([]T, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := tx.NewUpdate().Model((*T)(nil)).Set("locked_until = ?", until).
		Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
		return nil, err
	}
	var rows []T
	err := tx.NewSelect().Model(&rows).Where("?TableAlias.id IN (?)", bun.List(ids)).OrderExpr("?TableAlias.id").Scan(ctx)
	return rows, err
}

// withWebhooks adds each delivery's URL and secrets.
func (s *Store) withWebhooks(ctx context.Context, what string, now time.Time, ds []Delivery) ([]ClaimedDelivery, error) {
	var ids []int64
	for _, d := range ds {
		ids = append(ids, d.WebhookID)
	}
	var hooks []Webhook
	if err := s.db.NewSelect().Model(&hooks).Where("wh.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, wrap(err, what)
	}
	byID := map[int64]*Webhook{}
	for i := range hooks {
		utcTimes(&hooks[i])
		if err := s.open(what, &hooks[i]); err != nil {
			return nil, err
		}
		byID[hooks[i].ID] = &hooks[i]
	}
	out := make([]ClaimedDelivery, 0, len(ds))
	for _, d := range ds {
		utcTimes(&d)
		w := byID[d.WebhookID]
		if w == nil {
			continue // deleted since: its deliveries went with it
		}
		out = append(out, ClaimedDelivery{Delivery: d, URL: w.URL, Secrets: w.Secrets(now)})
	}
	return out, nil
}

// DeliveryResult is what became of one attempt.
type DeliveryResult struct {
	ID int64
	// Status is protocol.DeliveryDelivered, DeliveryPending (to be tried
	// again at Next) or DeliveryFailed (given up).
	Status     string
	At         time.Time // when the attempt was made
	Next       time.Time // the next attempt, while pending
	HTTPStatus int64     // 0: no answer
	Error      string    // "" when delivered
}

// FinishDeliveries records the results of attempts (each counts one)
// and ends their leases.
func (s *Store) FinishDeliveries(ctx context.Context, results []DeliveryResult) error {
	const what = "record webhook delivery attempts"
	if len(results) == 0 {
		return nil
	}
	for _, r := range results {
		if err := oneOf(what, "status", r.Status, protocol.DeliveryDelivered, protocol.DeliveryPending, protocol.DeliveryFailed); err != nil {
			return err
		}
		if err := checkText(what, "error", r.Error); err != nil {
			return err
		}
	}
	if s.dialect == DialectPostgres {
		n := len(results)
		ids, statuses, errs, codes := make([]int64, n), make([]string, n), make([]string, n), make([]int64, n)
		ats, nexts := make([]time.Time, n), make([]time.Time, n)
		for i, r := range results {
			ids[i], statuses[i], errs[i], codes[i] = r.ID, r.Status, r.Error, r.HTTPStatus
			ats[i], nexts[i] = r.At.UTC(), r.Next.UTC()
		}
		_, err := s.db.ExecContext(ctx, `UPDATE webhook_deliveries AS d SET status = v.status, attempts = d.attempts + 1,
	last_error = v.err, last_status = v.code, next_attempt_at = v.next, locked_until = NULL,
	delivered_at = CASE WHEN v.status = ? THEN v.at ELSE NULL END
FROM unnest(?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::timestamptz[], ?::timestamptz[]) AS v(id, status, err, code, at, next)
WHERE d.id = v.id`, protocol.DeliveryDelivered, pgdialect.Array(ids), pgdialect.Array(statuses), pgdialect.Array(errs),
			pgdialect.Array(codes), pgdialect.Array(ats), pgdialect.Array(nexts))
		return wrap(err, what)
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, r := range results {
			var delivered any
			if r.Status == protocol.DeliveryDelivered {
				delivered = r.At.UTC()
			}
			q := tx.NewUpdate().Model((*Delivery)(nil)).Set("status = ?", r.Status).Set("attempts = attempts + 1").
				Set("last_error = ?", r.Error).Set("last_status = ?", r.HTTPStatus).Set("next_attempt_at = ?", r.Next.UTC()).
				Set("locked_until = NULL").Set("delivered_at = ?", delivered).Where("id = ?", r.ID)
			if _, err := q.Exec(ctx); err != nil {
				return wrap(err, what)
			}
		}
		return nil
	})
}

// DeliveryFilter selects a page of a webhook's delivery log.
type DeliveryFilter struct {
	Status string // "" = any
	Before int64  // only deliveries with a smaller id; 0: from the newest
	Limit  int64  // 0 = DefaultLimit; capped at MaxLimit
}

// ListDeliveries returns a webhook's deliveries matching f, newest first.
func (s *Store) ListDeliveries(ctx context.Context, webhookID int64, f DeliveryFilter) ([]Delivery, error) {
	what := fmt.Sprintf("list the deliveries of webhook %d", webhookID)
	if err := checkText(what, "status", f.Status); err != nil {
		return nil, err
	}
	return list[Delivery](ctx, s.db, what, func(q *bun.SelectQuery) *bun.SelectQuery {
		q = whereIf(q.Where("d.webhook_id = ?", webhookID), "d.status", f.Status)
		if f.Before > 0 {
			q = q.Where("d.id < ?", f.Before)
		}
		return Page{Limit: f.Limit}.apply(q.OrderExpr("d.id DESC"))
	})
}

// GetDelivery returns a delivery of a webhook.
func (s *Store) GetDelivery(ctx context.Context, webhookID, id int64) (*Delivery, error) {
	return getOne[Delivery](ctx, s.db, fmt.Sprintf("get delivery %d of webhook %d", id, webhookID),
		func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("d.id = ? AND d.webhook_id = ?", id, webhookID)
		})
}

// ResendDelivery makes a delivery of a webhook pending and due now, with
// a new day of retries: a delivered one is sent again (with its event id:
// receivers see a duplicate), a failed one tried anew. One being
// attempted now is left to that attempt. It returns the delivery as
// stored.
func (s *Store) ResendDelivery(ctx context.Context, webhookID, id int64) (*Delivery, error) {
	what := fmt.Sprintf("resend delivery %d of webhook %d", id, webhookID)
	now := s.Now()
	_, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Delivery)(nil)).Set("status = ?", protocol.DeliveryPending).
		Set("next_attempt_at = ?", now).Set("retry_until = ?", now.Add(RetryFor)).Set("delivered_at = NULL").
		Where("id = ? AND webhook_id = ?", id, webhookID).
		Where("(locked_until IS NULL OR locked_until <= ?)", now))
	if err != nil {
		return nil, wrap(err, what)
	}
	return s.GetDelivery(ctx, webhookID, id)
}

// DeleteOldDeliveries deletes the delivered and failed deliveries made
// before the retention (deliveryRetention) as of now, and says how many.
func (s *Store) DeleteOldDeliveries(ctx context.Context) (int64, error) {
	return deleteRows[Delivery](ctx, s, "delete old webhook deliveries", "status <> ? AND created_at < ?",
		protocol.DeliveryPending, s.Now().Add(-deliveryRetention))
}
