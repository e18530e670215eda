package realtime

import (
	"context"
	"sync"
	"time"

	"halochat/backend/tick"
)

// heartbeats pings every open websocket once per PingInterval and drops
// one whose pong does not come within PingTimeout. The sockets are spread
// over slots, one slot pinged per tick, from one goroutine: an idle chat
// costs an entry in a slot rather than a timer of its own. The slots are
// also the server's list of open sockets, which Close drops (an idle
// visitor's goroutine waits where the server's context does not reach).
type heartbeats struct {
	timeout, tick time.Duration

	mu     sync.Mutex
	slots  []map[*conn]struct{}
	next   int  // the slot the next socket joins
	closed bool // no more sockets
}

// heartbeatSlots is how many slots a ping interval is cut into; a tick is
// at least minHeartbeatTick.
const (
	heartbeatSlots   = 25
	minHeartbeatTick = 10 * time.Millisecond
)

func newHeartbeats(interval, timeout time.Duration) *heartbeats {
	n := heartbeatSlots
	tick := interval / time.Duration(n)
	if tick < minHeartbeatTick {
		tick = minHeartbeatTick
		n = max(1, int(interval/tick))
	}
	h := &heartbeats{timeout: timeout, tick: tick, slots: make([]map[*conn]struct{}, n)}
	for i := range h.slots {
		h.slots[i] = map[*conn]struct{}{}
	}
	return h
}

// add starts pinging c; false once the heartbeats have stopped.
func (h *heartbeats) add(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	c.slot = h.next
	h.slots[h.next][c] = struct{}{}
	h.next = (h.next + 1) % len(h.slots)
	return true
}

// count is how many sockets are open.
func (h *heartbeats) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.slots {
		n += len(s)
	}
	return n
}

// remove stops pinging c.
func (h *heartbeats) remove(c *conn) {
	h.mu.Lock()
	delete(h.slots[c.slot], c)
	h.mu.Unlock()
}

// run pings one slot a tick until ctx ends (Server.Close, which drops the
// sockets).
func (h *heartbeats) run(ctx context.Context) {
	slot := 0
	var due []*conn
	tick.Every(ctx, h.tick, func(ctx context.Context) {
		// Sockets join the slots in turn (a burst of them is spread over
		// the interval), so a socket's first ping comes within an
		// interval of its joining, and then every interval.
		slot = (slot + 1) % len(h.slots)
		h.mu.Lock()
		due = due[:0]
		for c := range h.slots[slot] {
			due = append(due, c)
		}
		h.mu.Unlock()
		for _, c := range due {
			go c.pingOnce(ctx, h.timeout)
		}
		clear(due)
	})
}

// closeAll drops every socket and takes no more.
func (h *heartbeats) closeAll() {
	h.mu.Lock()
	h.closed = true
	var open []*conn
	for _, s := range h.slots {
		for c := range s {
			open = append(open, c)
		}
	}
	h.mu.Unlock()
	for _, c := range open {
		_ = c.ws.CloseNow()
	}
}
