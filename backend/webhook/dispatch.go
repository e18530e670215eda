package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/metrics"
	"halochat/backend/retry"
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
	// MaxInFlight bounds the chains (a chat's or a ticket's events for
	// one webhook) being delivered at once (default DefaultMaxInFlight):
	// at most one attempt each, so at most as many connections to a
	// receiver; Client should keep as many idle.
	MaxInFlight int
	// PerChain is how many of a chain's events one claim takes, to be
	// delivered one after another (default 32): a busy chat's events
	// cost one claim, not one each.
	PerChain int
	// Lease is how long a claim is the claimant's (default Timeout +
	// 30 s; at least Timeout + 1 s): what a node killed mid-delivery
	// delays its deliveries by before another sends them again.
	Lease time.Duration
	// Poll is how often an idle dispatcher looks for due deliveries
	// (default 100 ms): the lag of a delivery when nothing else wakes it.
	Poll time.Duration
	// FirstRetry and MaxRetry shape the backoff (retry.Backoff): the
	// n-th retry waits FirstRetry·2ⁿ⁻¹ (at most MaxRetry), ±25 % at
	// random. Defaults 5 s and 1 h. A delivery is retried until
	// store.RetryFor (a day) after its event, then marked failed.
	FirstRetry, MaxRetry time.Duration
	// Jitter returns a number in [0, 1) (default math/rand/v2's
	// Float64); tests fix it.
	Jitter func() float64
	// Metrics counts the attempts by outcome; nil counts nothing.
	Metrics *metrics.Metrics
}

// DefaultMaxInFlight is Config.MaxInFlight's default.
const DefaultMaxInFlight = 256

// Dispatcher delivers what the store's outbox holds. Every node runs one:
// the store's claims (FOR UPDATE SKIP LOCKED on PostgreSQL) give each
// delivery to one dispatcher at a time, with a lease that outlives an
// attempt, so a node that dies mid-delivery only delays its deliveries
// until the lease ends; then another node sends them again, with the
// same webhook-id (at least once).
type Dispatcher struct {
	cfg     Config
	backoff retry.Backoff
	wake    *retry.Waker
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
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.Lease <= 0 {
		cfg.Lease = cfg.Timeout + 30*time.Second
	}
	cfg.Lease = max(cfg.Lease, cfg.Timeout+time.Second)
	if cfg.PerChain <= 0 {
		cfg.PerChain = 32
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 100 * time.Millisecond
	}
	b := retry.Backoff{First: cfg.FirstRetry, Max: cfg.MaxRetry, Jitter: cfg.Jitter}.WithDefaults(5*time.Second, time.Hour)
	return &Dispatcher{cfg: cfg, backoff: b, wake: retry.NewWaker()}
}

// lease is how long a claimed delivery stays the claimant's: longer
// than an attempt can take, so no other dispatcher sends it meanwhile.
func (d *Dispatcher) lease() time.Duration { return d.cfg.Lease }

// Wake makes an idle dispatcher look for due deliveries now rather than
// at its next poll.
func (d *Dispatcher) Wake() { d.wake.Wake() }

// Run delivers until ctx ends: it claims the due chains (a chat's or a
// ticket's events for one webhook) while fewer than MaxInFlight are under
// way, each with up to PerChain of its events, delivers each chain on a
// goroutine of its own, its events one after another in order (a slow
// receiver delays only its own deliveries), and records the results in
// batches.
func (d *Dispatcher) Run(ctx context.Context) {
	slots := make(chan struct{}, d.cfg.MaxInFlight)
	done := make(chan chainDone, d.cfg.MaxInFlight)
	go d.record(ctx, done, slots)
	for ctx.Err() == nil {
		select { // wait for a free slot
		case slots <- struct{}{}:
			<-slots
		case <-ctx.Done():
			return
		}
		free := d.cfg.MaxInFlight - len(slots)
		claimedAt := time.Now()
		claimed, err := d.cfg.Store.ClaimChains(ctx, free, free*d.cfg.PerChain, d.lease())
		if err != nil && ctx.Err() == nil {
			// The database is away: say so once a second, not once a poll.
			d.cfg.Logger.Warn("claim webhook deliveries", "err", err)
			d.wake.Idle(ctx, time.Second)
			continue
		}
		if len(claimed) == 0 {
			d.wake.Idle(ctx, d.cfg.Poll)
			continue
		}
		for _, chain := range byChain(claimed) {
			slots <- struct{}{} // freed by record once the chain's results are stored
			go func() { done <- d.deliverChain(ctx, chain, claimedAt) }()
		}
	}
}

// chainDone is what became of one claimed chain: the results of the
// attempts made, and the deliveries left unattempted.
type chainDone struct {
	results  []store.DeliveryResult
	released []int64
}

// byChain groups claimed deliveries (in id order) by webhook and chain,
// each group in id order.
func byChain(claimed []store.ClaimedDelivery) [][]store.ClaimedDelivery {
	type key struct {
		webhook int64
		chain   string
	}
	at := map[key]int{}
	var groups [][]store.ClaimedDelivery
	for _, c := range claimed {
		k := key{c.WebhookID, c.Chain}
		i, ok := at[k]
		if !ok {
			i = len(groups)
			at[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], c)
	}
	return groups
}

// deliverChain attempts a chain's claimed events in order. It stops at
// the first that is not delivered (the rest wait behind it, as a chain's
// events do), and before an attempt that could outlast the claim's lease;
// what it did not attempt is released.
func (d *Dispatcher) deliverChain(ctx context.Context, chain []store.ClaimedDelivery, claimedAt time.Time) chainDone {
	var out chainDone
	for i, c := range chain {
		if time.Since(claimedAt)+d.cfg.Timeout >= d.lease() {
			out.released = ids(chain[i:])
			break
		}
		r := d.attempt(ctx, c)
		out.results = append(out.results, r)
		if r.Status != protocol.DeliveryDelivered {
			out.released = ids(chain[i+1:])
			break
		}
	}
	return out
}

func ids(ds []store.ClaimedDelivery) []int64 {
	out := make([]int64, len(ds))
	for i, c := range ds {
		out[i] = c.ID
	}
	return out
}

// record stores the chains' results as they come, those that come
// together in one batch, and frees a slot for each chain stored. On
// ctx's end it stops: the leases of what it did not store run out, and
// those deliveries are sent again.
func (d *Dispatcher) record(ctx context.Context, done <-chan chainDone, slots <-chan struct{}) {
	for {
		var batch []chainDone
		select {
		case r := <-done:
			batch = append(batch, r)
		case <-ctx.Done():
			return
		}
	more:
		for len(batch) < 64 {
			select {
			case r := <-done:
				batch = append(batch, r)
			default:
				break more
			}
		}
		var results []store.DeliveryResult
		var released []int64
		for _, c := range batch {
			results, released = append(results, c.results...), append(released, c.released...)
		}
		if err := d.cfg.Store.FinishDeliveries(ctx, results); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("record webhook delivery attempts", "count", len(results), "err", err)
		}
		if err := d.cfg.Store.ReleaseDeliveries(ctx, released); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("release webhook deliveries", "count", len(released), "err", err)
		}
		for range batch {
			<-slots
		}
		d.Wake() // a chain's next event may be due now
	}
}

// RunOnce is one synchronous round of Run, for tests with a fake clock:
// it claims the due chains (up to MaxInFlight, PerChain events each),
// delivers them as Run does, records the results, releases what was not
// attempted and says how many attempts it made.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	claimedAt := time.Now()
	claimed, err := d.cfg.Store.ClaimChains(ctx, d.cfg.MaxInFlight, d.cfg.MaxInFlight*d.cfg.PerChain, d.lease())
	if err != nil {
		return 0, err
	}
	chains := byChain(claimed)
	done := make(chan chainDone)
	for _, chain := range chains {
		go func() { done <- d.deliverChain(ctx, chain, claimedAt) }()
	}
	var results []store.DeliveryResult
	var released []int64
	for range chains {
		c := <-done
		results, released = append(results, c.results...), append(released, c.released...)
	}
	if err := d.cfg.Store.FinishDeliveries(ctx, results); err != nil {
		return 0, err
	}
	return len(results), d.cfg.Store.ReleaseDeliveries(ctx, released)
}

// attempt POSTs one delivery and says what became of it.
func (d *Dispatcher) attempt(ctx context.Context, c store.ClaimedDelivery) store.DeliveryResult {
	at := d.cfg.Store.Now()
	status, err := d.post(ctx, c, at)
	if err == nil {
		d.cfg.Metrics.WebhookAttempt(metrics.Delivered)
		return store.DeliveryResult{ID: c.ID, Status: protocol.DeliveryDelivered, At: at, Next: at, HTTPStatus: int64(status)}
	}
	r := store.DeliveryResult{ID: c.ID, Status: protocol.DeliveryPending, At: at, HTTPStatus: int64(status), Error: retry.ErrorText(err)}
	next, again := d.backoff.Next(at, c.RetryUntil, c.Attempts+1)
	switch {
	case status == http.StatusGone:
		// The receiver wants no more (Standard Webhooks: stop sending).
		r.Status = protocol.DeliveryFailed
	case !again:
		r.Status = protocol.DeliveryFailed
	default:
		r.Next = next
	}
	if r.Status != protocol.DeliveryFailed {
		d.cfg.Metrics.WebhookAttempt(metrics.Retry)
	} else {
		d.cfg.Metrics.WebhookAttempt(metrics.GaveUp)
		r.Next = at
		d.cfg.Logger.Warn("webhook delivery failed for good", "webhook", c.WebhookID, "event", c.EventID,
			"attempts", c.Attempts+1, "err", r.Error)
	}
	return r
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
