package realtime

import (
	"sync"
	"time"
)

// connRetry is the Retry-After of a refused connection: open connections
// free no token on a clock, so this is only a hint.
const connRetry = 5 * time.Second

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
