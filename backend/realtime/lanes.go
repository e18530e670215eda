package realtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// maxAgentFrames bounds the frames of one agent socket being handled or
// waiting for their chat's earlier frames; the socket reads no further
// frame while that many are.
const maxAgentFrames = 16

// lanes runs an agent socket's frames: those of different chats at
// once, those of one chat one after the other in the order they came.
//
// One at a time, a console answering several chats waited for each
// frame's session check and commit before it read the next: a commit
// slowed by a busy database then held up every chat of that agent (the
// agent's replies, at half the maximum load, had twice the visitors'
// delivery p99). A chat's frames must still run in order: its messages
// are numbered in the order the agent sent them, and an accept or a
// watch comes before what the agent writes in that chat.
//
// A lane's runner is a goroutine that, once its chat has no frame left,
// waits a while for another chat's (laneIdle): a goroutine a burst grew
// its stack anew through the driver each time.
type lanes[T any] struct {
	handle func(context.Context, T)
	slots  chan struct{} // one taken for each frame queued or running
	work   chan string   // a chat handed to an idle runner
	done   chan struct{} // closed by wait: idle runners end
	mu     sync.Mutex
	queued map[string][]T // a chat's frames not yet run; present while a runner has the chat
	idle   int            // runners waiting for a chat, not yet handed one
	wg     sync.WaitGroup
	// started counts the runners started.
	started atomic.Int64
}

// laneIdle is how long a runner waits for another chat before it ends.
const laneIdle = 5 * time.Second

func newLanes[T any](max int, handle func(context.Context, T)) *lanes[T] {
	return &lanes[T]{handle: handle, slots: make(chan struct{}, max), work: make(chan string, max),
		done: make(chan struct{}), queued: map[string][]T{}}
}

// run queues f behind the frames of key (its chat; "" for frames of no
// chat) and returns: at once while fewer than max frames are in flight,
// else once one has finished. False when ctx ended first (f not run).
func (l *lanes[T]) run(ctx context.Context, key string, f T) bool {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	q, owned := l.queued[key]
	l.queued[key] = append(q, f)
	switch {
	case owned:
	case l.idle > 0: // never blocks: fewer runners than slots
		l.idle--
		l.work <- key
	default:
		l.started.Add(1)
		l.wg.Go(func() { l.runner(ctx, key) })
	}
	return true
}

// runner runs key's frames, then those of the chats it is handed next,
// until none comes for laneIdle.
func (l *lanes[T]) runner(ctx context.Context, key string) {
	for ok := true; ok; key, ok = l.next() {
		l.drain(ctx, key)
	}
}

// next waits for a chat to run; false when none came in time.
func (l *lanes[T]) next() (string, bool) {
	l.mu.Lock()
	l.idle++
	l.mu.Unlock()
	t := time.NewTimer(laneIdle)
	defer t.Stop()
	select {
	case key := <-l.work:
		return key, true
	case <-t.C:
	case <-l.done:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case key := <-l.work: // handed over as it gave up
		return key, true
	default:
	}
	l.idle--
	return "", false
}

// drain runs key's frames until none is queued.
func (l *lanes[T]) drain(ctx context.Context, key string) {
	for {
		l.mu.Lock()
		q := l.queued[key]
		if len(q) == 0 {
			delete(l.queued, key)
			l.mu.Unlock()
			return
		}
		f := q[0]
		var zero T
		q[0] = zero // let the frame go once run
		l.queued[key] = q[1:]
		l.mu.Unlock()
		l.handle(ctx, f)
		<-l.slots
	}
}

// wait returns once every frame run was given has been handled, and
// ends the runners.
func (l *lanes[T]) wait() {
	close(l.done)
	l.wg.Wait()
}
