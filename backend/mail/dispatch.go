package mail

import (
	"context"
	"log/slog"
	"net/mail"
	"strconv"
	"sync"
	"time"

	"halochat/app/protocol"
	"halochat/backend/metrics"
	"halochat/backend/retry"
	"halochat/backend/store"
)

// DispatchConfig configures a Dispatcher. Zero fields take the defaults.
type DispatchConfig struct {
	Store  *store.Store
	Sender Sender
	From   *mail.Address // the sender of every mail (--smtp-from)
	Logger *slog.Logger
	// Batch is how many mails one claim takes (default 16), sent
	// Parallel at a time (default 4).
	Batch, Parallel int
	// Lease is how long a claim is the claimant's (default the sender's
	// timeout + 30 s): what a node killed mid-send delays its mails by.
	Lease time.Duration
	// Poll is how often an idle dispatcher looks for due mails (default
	// 1 s; Wake makes it look at once).
	Poll time.Duration
	// Metrics counts the attempts' outcomes by kind; nil counts nothing.
	Metrics *metrics.Metrics
	// Backoff spaces the retries (defaults: 30 s first, 1 h at most,
	// ±25 %); a mail is retried until store.MailRetryFor after it was
	// queued, then marked failed.
	Backoff retry.Backoff
}

// Dispatcher sends what the store's mail outbox holds. Every node runs
// one; the store's claims lease each mail to one dispatcher at a time.
type Dispatcher struct {
	cfg  DispatchConfig
	wake *retry.Waker
}

// NewDispatcher returns a Dispatcher; Store and From are required.
func NewDispatcher(cfg DispatchConfig) *Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 16
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.Sender.Timeout <= 0 {
		cfg.Sender.Timeout = 30 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = cfg.Sender.Timeout + 30*time.Second
	}
	cfg.Lease = max(cfg.Lease, cfg.Sender.Timeout+time.Second)
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	cfg.Backoff = cfg.Backoff.WithDefaults(30*time.Second, time.Hour)
	return &Dispatcher{cfg: cfg, wake: retry.NewWaker()}
}

// Wake makes an idle dispatcher look for due mails now (a mail was just
// queued).
func (d *Dispatcher) Wake() { d.wake.Wake() }

// Run sends due mails until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("send mails", "err", err)
			d.wake.Idle(ctx, max(d.cfg.Poll, time.Second))
			continue
		}
		if n < d.cfg.Batch {
			d.wake.Idle(ctx, d.cfg.Poll)
		}
	}
}

// RunOnce claims the due mails (up to Batch), sends them, records what
// became of each and says how many it attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	claimed, err := d.cfg.Store.ClaimMails(ctx, d.cfg.Batch, d.cfg.Lease)
	if err != nil {
		return 0, err
	}
	results := make([]store.MailResult, len(claimed))
	var wg sync.WaitGroup
	slots := make(chan struct{}, d.cfg.Parallel)
	for i, m := range claimed {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = d.attempt(ctx, m)
		})
	}
	wg.Wait()
	for _, r := range results {
		// On ctx's end the lease runs out and the mail is sent again.
		if err := d.cfg.Store.FinishMail(ctx, r); err != nil {
			return len(results), err
		}
	}
	return len(results), nil
}

// attempt sends one mail and says what became of it.
func (d *Dispatcher) attempt(ctx context.Context, m store.Mail) store.MailResult {
	at := d.cfg.Store.Now()
	msg, err := Message{From: d.cfg.From, To: m.Recipient, Subject: m.Subject, Text: m.Body,
		ID: "halochat-mail-" + strconv.FormatInt(m.ID, 10) + "." + strconv.FormatInt(m.CreatedAt.Unix(), 36), Date: at}.Bytes()
	if err == nil {
		err = d.cfg.Sender.Send(ctx, d.cfg.From.Address, m.Recipient, msg)
	}
	if err == nil {
		d.cfg.Logger.Info("mail sent", "mail", m.ID, "kind", m.Kind, "attempts", m.Attempts+1)
		d.cfg.Metrics.MailAttempt(m.Kind, metrics.Delivered)
		return store.MailResult{ID: m.ID, Status: protocol.DeliveryDelivered, At: at}
	}
	r := store.MailResult{ID: m.ID, Status: protocol.DeliveryPending, At: at, Error: retry.ErrorText(err)}
	next, again := d.cfg.Backoff.Next(at, m.RetryUntil, m.Attempts+1)
	if again && !Permanent(err) {
		r.Next = next
		d.cfg.Logger.Warn("mail not sent: will retry", "mail", m.ID, "kind", m.Kind, "attempts", m.Attempts+1, "next", next, "err", err)
		d.cfg.Metrics.MailAttempt(m.Kind, metrics.Retry)
		return r
	}
	r.Status = protocol.DeliveryFailed
	d.cfg.Logger.Error("mail failed for good", "mail", m.ID, "kind", m.Kind, "attempts", m.Attempts+1, "err", err)
	d.cfg.Metrics.MailAttempt(m.Kind, metrics.GaveUp)
	return r
}
