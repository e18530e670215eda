package realtime

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"halochat/app/protocol"
)

func TestQueueViewReadsOncePerChangeForAllConsoles(t *testing.T) {
	ctx := context.Background()
	var loads atomic.Int32
	release := make(chan struct{})
	q := newQueueView(func(context.Context) ([]protocol.ChatState, error) {
		n := loads.Add(1)
		<-release
		return []protocol.ChatState{{ID: string(rune('a' + n - 1))}}, nil
	})

	// 20 consoles ask at once: one reading, shared.
	var wg sync.WaitGroup
	got := make([]string, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := q.get(ctx)
			if err != nil || len(s) != 1 {
				t.Errorf("get = %v, %v", s, err)
				return
			}
			got[i] = s[0].ID
		}()
	}
	for loads.Load() == 0 {
		runtime.Gosched() // until the first reading is in flight
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d readings for 20 consoles, want 1", n)
	}
	for i, id := range got {
		if id != "a" {
			t.Fatalf("console %d got %q, want a", i, id)
		}
	}

	// No change: no reading. A change: one more.
	if s, _ := q.get(ctx); s[0].ID != "a" || loads.Load() != 1 {
		t.Fatalf("unchanged queue read again: %v, %d readings", s, loads.Load())
	}
	q.changed()
	q.changed()
	if s, _ := q.get(ctx); s[0].ID != "b" || loads.Load() != 2 {
		t.Fatalf("after a change: %v, %d readings, want b after 2", s, loads.Load())
	}
}

func TestQueueViewDoesNotKeepAFailedReading(t *testing.T) {
	ctx := context.Background()
	fail := true
	q := newQueueView(func(context.Context) ([]protocol.ChatState, error) {
		if fail {
			return nil, errors.New("database down")
		}
		return []protocol.ChatState{{ID: "x"}}, nil
	})
	if _, err := q.get(ctx); err == nil {
		t.Fatal("a failed reading returned no error")
	}
	fail = false
	if s, err := q.get(ctx); err != nil || len(s) != 1 || s[0].ID != "x" {
		t.Fatalf("after the failure: %v, %v; want a fresh reading", s, err)
	}
}

func TestQueueViewWaiterGivesUpWithItsContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	q := newQueueView(func(context.Context) ([]protocol.ChatState, error) {
		close(started)
		<-release
		return nil, nil
	})
	go func() { _, _ = q.get(context.Background()) }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiter with a cancelled context: %v, want context.Canceled", err)
	}
}
