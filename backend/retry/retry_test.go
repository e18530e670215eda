package retry

import (
	"context"
	"testing"
	"time"
)

func TestWaitDoublesUpToTheMaximumWithinAQuarter(t *testing.T) {
	for _, c := range []struct {
		n      int64
		jitter float64
		want   time.Duration
	}{
		{1, 0.5, 5 * time.Second},
		{2, 0.5, 10 * time.Second},
		{4, 0.5, 40 * time.Second},
		{1, 0, 3750 * time.Millisecond},
		{1, 0.999999, 6250 * time.Millisecond},
		{1000, 0.5, time.Hour},
	} {
		b := Backoff{First: 5 * time.Second, Max: time.Hour, Jitter: func() float64 { return c.jitter }}
		if got := b.Wait(c.n).Round(time.Millisecond); got != c.want {
			t.Errorf("Wait(%d) at jitter %v = %s, want %s", c.n, c.jitter, got, c.want)
		}
	}
}

func TestNextGivesUpAtTheDeadlineAndLastTriesThen(t *testing.T) {
	b := Backoff{}.WithDefaults(time.Minute, time.Hour)
	b.Jitter = func() float64 { return 0.5 }
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	if next, ok := b.Next(at, at.Add(time.Hour), 1); !ok || !next.Equal(at.Add(time.Minute)) {
		t.Errorf("first retry: %v %v, want a minute later", next, ok)
	}
	if next, ok := b.Next(at, at.Add(30*time.Second), 1); !ok || !next.Equal(at.Add(30*time.Second)) {
		t.Errorf("retry past the deadline: %v %v, want one last try at the deadline", next, ok)
	}
	if _, ok := b.Next(at, at, 3); ok {
		t.Error("an attempt at the deadline is retried")
	}
}

func TestWakerEndsAnIdleAtOnce(t *testing.T) {
	w := NewWaker()
	w.Wake()
	w.Wake() // a second wake while one is pending is dropped, not blocked on
	start := time.Now()
	w.Idle(context.Background(), time.Hour)
	if time.Since(start) > 10*time.Second {
		t.Error("a woken Idle waited")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w.Idle(ctx, time.Hour) // an ended context ends it too
}
