package realtime

import (
	"context"
	"sync"

	"halochat/app/protocol"
)

// queueView shares one reading of the agents' queue among a node's agent
// connections. Every queue change bumps its generation; a connection
// asking for the queue gets the last reading when it was taken after the
// latest change, else one fresh reading that every connection asking
// meanwhile waits for and shares. Without it each of N consoles read the
// whole queue on every change: N×changes reads, which at 200 chat starts
// and 40 consoles held the database's pool for seconds.
type queueView struct {
	load func(context.Context) ([]protocol.ChatState, error)

	mu      sync.Mutex
	gen     uint64 // changes seen
	snap    []protocol.ChatState
	snapGen uint64        // gen when the reading in snap started; 0 = none yet
	loading chan struct{} // closed when the reading in flight ends
}

func newQueueView(load func(context.Context) ([]protocol.ChatState, error)) *queueView {
	return &queueView{load: load, gen: 1}
}

// changed records that the queue may have changed.
func (q *queueView) changed() {
	q.mu.Lock()
	q.gen++
	q.mu.Unlock()
}

// get returns a reading of the queue taken after the latest change.
func (q *queueView) get(ctx context.Context) ([]protocol.ChatState, error) {
	for {
		q.mu.Lock()
		want := q.gen
		if q.snapGen >= want {
			s := q.snap
			q.mu.Unlock()
			return s, nil
		}
		if ch := q.loading; ch != nil {
			q.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		q.loading = ch
		q.mu.Unlock()

		s, err := q.load(ctx)
		q.mu.Lock()
		q.loading = nil
		if err == nil && want > q.snapGen {
			q.snap, q.snapGen = s, want
		}
		q.mu.Unlock()
		close(ch)
		return s, err
	}
}
