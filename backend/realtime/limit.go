package realtime

import (
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens a second, up to burst.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) allow(now time.Time, rate float64, burst int) bool {
	if rate <= 0 {
		return true
	}
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else {
		b.tokens = min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// limiter holds token buckets by key (a chat, an address).
type limiter struct {
	rate  float64
	burst int
	mu    sync.Mutex
	m     map[string]*bucket
}

func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: max(burst, 1), m: map[string]*bucket{}}
}

func (l *limiter) allow(key string) bool {
	if l.rate <= 0 {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100_000 { // forget full buckets rather than grow without bound
		for k, b := range l.m {
			if now.Sub(b.last).Seconds()*l.rate >= float64(l.burst) {
				delete(l.m, k)
			}
		}
	}
	b := l.m[key]
	if b == nil {
		b = &bucket{}
		l.m[key] = b
	}
	return b.allow(now, l.rate, l.burst)
}

// counter counts open connections by key (an address) under a cap.
type counter struct {
	max int
	mu  sync.Mutex
	m   map[string]int
}

func (c *counter) acquire(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.m[key] >= c.max {
		return false
	}
	c.m[key]++
	return true
}

func (c *counter) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key]--; c.m[key] <= 0 {
		delete(c.m, key)
	}
}
