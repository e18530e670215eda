package httpx

import (
	"fmt"
	"testing"
	"time"
)

func TestRateLimiterAllowsTheBurstThenTellsTheWait(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := NewRateLimiter(1, 3) // 1/s, burst 3
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("over the burst: %v, wait %v", ok, wait)
	}
	if RetryAfter(wait) != "1" || RetryAfter(1500*time.Millisecond) != "2" || RetryAfter(0) != "1" {
		t.Fatalf("RetryAfter rounds up to whole seconds, at least 1")
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("a second later a token is back")
	}
	if ok, _ := NewRateLimiter(-1, 0).Allow("x"); !ok {
		t.Fatal("a negative rate is no limit")
	}
}

func TestRateLimiterWaitTakesNoToken(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := NewRateLimiter(0.5, 2) // a token every 2 s, burst 2
	l.now = func() time.Time { return now }
	for i := range 2 {
		if w := l.Wait("a"); w != 0 {
			t.Fatalf("before event %d: Wait %v, want 0", i, w)
		}
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	for range 3 { // asking does not spend
		if w := l.Wait("a"); w != 2*time.Second {
			t.Fatalf("after the burst: Wait %v, want 2s", w)
		}
	}
	now = now.Add(1500 * time.Millisecond)
	if w := l.Wait("a"); w != 500*time.Millisecond {
		t.Fatalf("1.5 s later: Wait %v, want 500ms", w)
	}
	if l.Wait("b") != 0 || NewRateLimiter(-1, 0).Wait("a") != 0 {
		t.Fatal("an unseen key, or no limit, waits")
	}
}

func TestRateLimiterMemoryIsBounded(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := NewRateLimiter(10, 10) // full again after 1 s
	l.now = func() time.Time { return now }
	l.maxKeys = 1000
	for i := range 10_000 {
		l.Allow(fmt.Sprint("addr-", i))
		if l.Len() > l.maxKeys {
			t.Fatalf("%d keys after %d distinct ones, cap %d", l.Len(), i+1, l.maxKeys)
		}
	}
	// Idle keys (their bucket full again) are forgotten at the next sweep.
	now = now.Add(2 * time.Second)
	l.Allow("fresh")
	if l.Len() != 1 {
		t.Fatalf("%d keys remembered after every other one went idle", l.Len())
	}
}
