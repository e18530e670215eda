package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Config configures a Dispatcher. Zero fields take the defaults.
type Config struct {
	Store *store.Store
	// Client sends the deliveries: the outbound guard's client
	// (backend/outbound), so a webhook cannot reach an internal address
	// the operator has not opened.
	Client *http.Client
	Logger *slog.Logger
	// Timeout bounds one attempt (default 10 s): no answer in time is a
	// failure, retried.
	Timeout time.Duration
	// MaxInFlight bounds the attempts under way at once (default 64).
	MaxInFlight int
	// Poll is how often an idle dispatcher looks for due deliveries
	// (default 100 ms): the lag of a delivery when nothing else wakes it.
	Poll time.Duration
	// FirstRetry and MaxRetry shape the backoff: the n-th retry waits
	// FirstRetry·2ⁿ⁻¹ (at most MaxRetry), ±25 % at random. Defaults 5 s
	// and 1 h. A delivery is retried until store.RetryFor (a day) after
	// its event, then marked failed.
	FirstRetry, MaxRetry time.Duration
	// Jitter returns a number in [0, 1) (default math/rand/v2's
	// Float64); tests fix it.
	Jitter func() float64
}

// Dispatcher delivers what the store's outbox holds. Every node runs one:
// the store's claims (FOR UPDATE SKIP LOCKED on PostgreSQL) give each
// delivery to one dispatcher at a time, with a lease that outlives an
// attempt, so a node that dies mid-delivery only delays its deliveries
// until the lease ends; then another node sends them again, with the
// same webhook-id (at least once).
type Dispatcher struct {
	cfg  Config
	wake chan struct{}
}

// NewDispatcher returns a Dispatcher; Store and Client are required.
func NewDispatcher(cfg Config) *Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 64
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	if cfg.FirstRetry <= 0 {
		cfg.FirstRetry = 5 * time.Second
	}
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = time.Hour
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1)}
}

// lease is how long a claimed delivery stays the claimant's: longer
// than an attempt can take, so no other dispatcher sends it meanwhile.
func (d *Dispatcher) lease() time.Duration { return d.cfg.Timeout + 30*time.Second }

// Wake makes an idle dispatcher look for due deliveries now rather than
// at its next poll.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: it claims due deliveries while fewer than
// MaxInFlight attempts are under way, makes each attempt on a goroutine
// of its own (a slow receiver delays only its own deliveries), and
// records their results in batches.
func (d *Dispatcher) Run(ctx context.Context) {
	slots := make(chan struct{}, d.cfg.MaxInFlight)
	results := make(chan store.DeliveryResult, d.cfg.MaxInFlight)
	go d.record(ctx, results, slots)
	for ctx.Err() == nil {
		select { // wait for a free slot
		case slots <- struct{}{}:
			<-slots
		case <-ctx.Done():
			return
		}
		claimed, err := d.cfg.Store.ClaimDeliveries(ctx, d.cfg.MaxInFlight-len(slots), d.lease())
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("claim webhook deliveries", "err", err)
		}
		if len(claimed) == 0 {
			d.idle(ctx)
			continue
		}
		for _, c := range claimed {
			slots <- struct{}{} // freed by record once the result is stored
			go func() { results <- d.attempt(ctx, c) }()
		}
	}
}

// idle waits for the next poll, a Wake, or the end of ctx.
func (d *Dispatcher) idle(ctx context.Context) {
	t := time.NewTimer(d.cfg.Poll)
	defer t.Stop()
	select {
	case <-t.C:
	case <-d.wake:
	case <-ctx.Done():
	}
}

// record stores results as they come, those that come together in one
// batch, and frees a slot for each stored. On ctx's end it stops: the
// leases of what it did not store run out, and those deliveries are
// sent again.
func (d *Dispatcher) record(ctx context.Context, results <-chan store.DeliveryResult, slots <-chan struct{}) {
	for {
		var batch []store.DeliveryResult
		select {
		case r := <-results:
			batch = append(batch, r)
		case <-ctx.Done():
			return
		}
	more:
		for len(batch) < 256 {
			select {
			case r := <-results:
				batch = append(batch, r)
			default:
				break more
			}
		}
		if err := d.cfg.Store.FinishDeliveries(ctx, batch); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("record webhook delivery attempts", "count", len(batch), "err", err)
		}
		for range batch {
			<-slots
		}
		d.Wake() // a chain's next event may be due now
	}
}

// RunOnce claims what is due now (up to MaxInFlight), attempts it all,
// records the results and says how many it attempted: one synchronous
// round, for tests with a fake clock.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	claimed, err := d.cfg.Store.ClaimDeliveries(ctx, d.cfg.MaxInFlight, d.lease())
	if err != nil {
		return 0, err
	}
	results := make([]store.DeliveryResult, len(claimed))
	done := make(chan struct{})
	for i, c := range claimed {
		go func() { results[i] = d.attempt(ctx, c); done <- struct{}{} }()
	}
	for range claimed {
		<-done
	}
	return len(claimed), d.cfg.Store.FinishDeliveries(ctx, results)
}

// attempt POSTs one delivery and says what became of it.
func (d *Dispatcher) attempt(ctx context.Context, c store.ClaimedDelivery) store.DeliveryResult {
	at := d.cfg.Store.Now()
	status, err := d.post(ctx, c, at)
	if err == nil {
		return store.DeliveryResult{ID: c.ID, Status: protocol.DeliveryDelivered, At: at, Next: at, HTTPStatus: int64(status)}
	}
	r := store.DeliveryResult{ID: c.ID, Status: protocol.DeliveryPending, At: at, HTTPStatus: int64(status), Error: errorText(err)}
	switch {
	case status == http.StatusGone:
		// The receiver wants no more (Standard Webhooks: stop sending).
		r.Status = protocol.DeliveryFailed
	case !at.Before(c.RetryUntil):
		r.Status = protocol.DeliveryFailed
	default:
		r.Next = at.Add(d.backoff(c.Attempts + 1))
		if r.Next.After(c.RetryUntil) {
			r.Next = c.RetryUntil // one last attempt when the day is up
		}
	}
	if r.Status == protocol.DeliveryFailed {
		r.Next = at
		d.cfg.Logger.Warn("webhook delivery failed for good", "webhook", c.WebhookID, "event", c.EventID,
			"attempts", c.Attempts+1, "err", r.Error)
	}
	return r
}

// backoff is how long to wait before the n-th retry.
func (d *Dispatcher) backoff(n int64) time.Duration {
	wait := d.cfg.FirstRetry
	for i := int64(1); i < n && wait < d.cfg.MaxRetry; i++ {
		wait *= 2
	}
	return time.Duration(float64(min(wait, d.cfg.MaxRetry)) * (0.75 + 0.5*d.cfg.Jitter()))
}

// errStatus is an answer that is not 2xx.
type errStatus struct {
	status int
	start  string // the beginning of the answer's body
}

func (e errStatus) Error() string {
	if e.start == "" {
		return fmt.Sprintf("HTTP %d", e.status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.status, e.start)
}

// post sends one attempt, signed at time at, and returns the answer's
// status (0 when none came) and an error unless it was 2xx.
func (d *Dispatcher) post(ctx context.Context, c store.ClaimedDelivery, at time.Time) (int, error) {
	body := new(bytes.Buffer)
	if err := json.Compact(body, c.Payload); err != nil {
		return 0, fmt.Errorf("the stored body is not JSON: %w", err)
	}
	h, err := Headers(c.EventID, at, body.Bytes(), c.Secrets...)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, body)
	if err != nil {
		return 0, err
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "halochat-webhooks/1")
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, fmt.Errorf("no answer within %s", d.cfg.Timeout)
		}
		return 0, err
	}
	defer resp.Body.Close()
	start, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, errStatus{resp.StatusCode, strings.TrimSpace(string(start))}
	}
	return resp.StatusCode, nil
}

// errorText is an attempt's error as the delivery log keeps it: valid
// UTF-8, no NUL, at most 500 bytes.
func errorText(err error) string {
	s := strings.ToValidUTF8(strings.ReplaceAll(err.Error(), "\x00", ""), "?")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "…"
	}
	return s
}
