// Package retry holds what the service's outboxes (webhook deliveries,
// mails) share about trying again: how long to wait before the next
// attempt, and when to give up.
package retry

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"
)

// Backoff shapes the waits between attempts: the n-th retry waits
// First·2ⁿ⁻¹ (at most Max), ±25 % at random so that what failed together
// is not retried together.
type Backoff struct {
	First, Max time.Duration
	// Jitter returns a number in [0, 1) (default math/rand/v2's
	// Float64); tests fix it.
	Jitter func() float64
}

// WithDefaults is b with its zero fields set to first, most and
// math/rand/v2's Float64.
func (b Backoff) WithDefaults(first, most time.Duration) Backoff {
	if b.First <= 0 {
		b.First = first
	}
	if b.Max <= 0 {
		b.Max = most
	}
	if b.Jitter == nil {
		b.Jitter = rand.Float64
	}
	return b
}

// Wait is how long to wait before the n-th retry (n ≥ 1).
func (b Backoff) Wait(n int64) time.Duration {
	wait := b.First
	for i := int64(1); i < n && wait < b.Max; i++ {
		wait *= 2
	}
	return time.Duration(float64(min(wait, b.Max)) * (0.75 + 0.5*b.Jitter()))
}

// Next is when to try again something attempted at at for the attempts-th
// time (attempts ≥ 1), to be retried until until: false when it is time
// to give up (at is not before until). The last retry is at until.
func (b Backoff) Next(at, until time.Time, attempts int64) (time.Time, bool) {
	if !at.Before(until) {
		return time.Time{}, false
	}
	next := at.Add(b.Wait(attempts))
	if next.After(until) {
		next = until // one last attempt when the time is up
	}
	return next, true
}

// ErrorText is an attempt's error as an outbox keeps it: valid UTF-8, no
// NUL, at most 500 bytes.
func ErrorText(err error) string {
	s := strings.ToValidUTF8(strings.ReplaceAll(err.Error(), "\x00", ""), "?")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "…"
	}
	return s
}

// Waker lets an outbox's dispatcher idle between polls and be woken
// early (something was just queued). The zero value is not usable: use
// NewWaker.
type Waker struct{ c chan struct{} }

// NewWaker returns a Waker.
func NewWaker() *Waker { return &Waker{c: make(chan struct{}, 1)} }

// Wake ends the current or next Idle at once.
func (w *Waker) Wake() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// Idle waits for wait, a Wake, or the end of ctx.
func (w *Waker) Idle(ctx context.Context, wait time.Duration) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.c:
	case <-ctx.Done():
	}
}
