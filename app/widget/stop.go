package widget

import (
	"context"
	"sync"
	"time"
)

// stopCtx is the widget's own context.Context: one that a stop function,
// or a timer, ends. Every context the widget makes is a root (its calls
// are bounded by a timeout, its stream by its Close), so it needs none of
// the context package's cancel tree: context.WithCancel and WithTimeout
// linked that tree into the wasm (propagation to children, AfterFunc,
// causes, their String methods and time's duration formatting: 32 KB of
// code, 5.5 KB brotli after wasm-opt). Callees see an ordinary
// context.Context.
type stopCtx struct {
	done     chan struct{}
	deadline time.Time // zero: none

	mu  sync.Mutex
	err error // set once, just before done is closed
}

// withStop is a context that ends (context.Canceled) when stop is called.
func withStop() (ctx context.Context, stop func()) {
	c := &stopCtx{done: make(chan struct{})}
	return c, func() { c.end(context.Canceled) }
}

// withTimeout is a context that ends after d (context.DeadlineExceeded),
// or when stop is called (context.Canceled); call stop when done with it.
func withTimeout(d time.Duration) (ctx context.Context, stop func()) {
	c := &stopCtx{done: make(chan struct{}), deadline: time.Now().Add(d)}
	t := time.AfterFunc(d, func() { c.end(context.DeadlineExceeded) })
	return c, func() {
		t.Stop()
		c.end(context.Canceled)
	}
}

// end records why the context ended, the first time, and closes Done.
func (c *stopCtx) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

func (c *stopCtx) Deadline() (time.Time, bool) { return c.deadline, !c.deadline.IsZero() }

func (c *stopCtx) Done() <-chan struct{} { return c.done }

func (c *stopCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *stopCtx) Value(any) any { return nil }
