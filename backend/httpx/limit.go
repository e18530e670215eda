package httpx

import (
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter is a token bucket (golang.org/x/time/rate) per key — a
// client address, a chat, a profile — with bounded memory: a key idle long
// enough for its bucket to be full again holds no state worth keeping and
// is forgotten, and past MaxKeys the oldest keys are dropped.
type RateLimiter struct {
	limit   rate.Limit
	burst   int
	maxKeys int
	now     func() time.Time

	mu    sync.Mutex
	keys  map[string]*keyed
	sweep time.Time // next time idle keys are evicted
}

type keyed struct {
	lim  *rate.Limiter
	last time.Time
}

// DefaultMaxKeys bounds the keys a RateLimiter remembers.
const DefaultMaxKeys = 100_000

// NewRateLimiter allows perSecond events a second per key, in bursts of up
// to burst. perSecond <= 0 allows everything.
func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	return &RateLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), maxKeys: DefaultMaxKeys,
		now: time.Now, keys: map[string]*keyed{}}
}

// PerMinute is NewRateLimiter with a rate per minute and a burst of the
// same size (at least 1).
func PerMinute(n float64) *RateLimiter {
	return NewRateLimiter(n/60, max(int(n), 1))
}

// Allow takes one token of key's bucket. When there is none it returns
// false and how long until there will be (for Retry-After).
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.limit <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.keys[key]
	if k == nil {
		l.evict(now)
		k = &keyed{lim: rate.NewLimiter(l.limit, l.burst)}
		l.keys[key] = k
	}
	k.last = now
	r := k.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Wait is how long until key's bucket holds a token, without taking one:
// 0 when it holds one now. With Allow for the events that count (a failed
// login), it limits those while letting the others (a success) through.
func (l *RateLimiter) Wait(key string) time.Duration {
	if l == nil || l.limit <= 0 {
		return 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.keys[key]
	if k == nil {
		return 0
	}
	if tokens := k.lim.TokensAt(now); tokens < 1 {
		return time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	}
	return 0
}

// refill is how long an untouched bucket takes to be full again.
func (l *RateLimiter) refill() time.Duration {
	return time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
}

// evict forgets idle keys (at most once per refill period, or whenever the
// map is full), then, if still full, arbitrary keys down to 90% of
// maxKeys. Called with mu held, before a key is added.
func (l *RateLimiter) evict(now time.Time) {
	full := len(l.keys) >= l.maxKeys
	if !full && now.Before(l.sweep) {
		return
	}
	idle := l.refill()
	l.sweep = now.Add(max(idle, time.Second))
	for key, k := range l.keys {
		if now.Sub(k.last) >= idle {
			delete(l.keys, key)
		}
	}
	for key := range l.keys { // map order is random: no key can count on staying
		if len(l.keys) < l.maxKeys*9/10 {
			break
		}
		delete(l.keys, key)
	}
}

// Len is the number of keys remembered (for tests).
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// RetryAfter is the Retry-After value for a wait: whole seconds, at least 1.
func RetryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
