package realtime

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

type laneFrame struct {
	chat string
	n    int
}

// TestLanesKeepEachChatsOrder: frames of one chat run one after the
// other in the order they were given, whatever the other chats do.
func TestLanesKeepEachChatsOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chats  int
		frames int // each chat's
		max    int
	}{
		{"one chat", 1, 200, 16},
		{"many chats", 12, 50, 16},
		{"more chats than slots", 40, 20, 4},
		{"one slot", 5, 30, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			got := map[string][]int{}
			l := newLanes(tc.max, func(_ context.Context, f laneFrame) {
				time.Sleep(time.Duration(f.n%3) * 50 * time.Microsecond) // uneven work
				mu.Lock()
				got[f.chat] = append(got[f.chat], f.n)
				mu.Unlock()
			})
			for n := range tc.frames {
				for c := range tc.chats {
					chat := fmt.Sprintf("chat-%d", c)
					if !l.run(context.Background(), chat, laneFrame{chat, n}) {
						t.Fatal("run refused a frame with its context live")
					}
				}
			}
			l.wait()
			if len(got) != tc.chats {
				t.Fatalf("frames of %d chats ran, want %d", len(got), tc.chats)
			}
			for chat, ns := range got {
				if len(ns) != tc.frames {
					t.Fatalf("%s: %d frames ran, want %d", chat, len(ns), tc.frames)
				}
				for i, n := range ns {
					if n != i {
						t.Fatalf("%s ran frame %d in place %d: %v", chat, n, i, ns)
					}
				}
			}
			if len(l.queued) != 0 || len(l.slots) != 0 {
				t.Fatalf("after wait: %d chats queued, %d slots taken", len(l.queued), len(l.slots))
			}
		})
	}
}

// TestLanesRunChatsAtOnce: a chat whose frame waits holds up no other
// chat, and no more than max frames are in flight (every frame here
// waits for the release).
func TestLanesRunChatsAtOnce(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 10)
	l := newLanes(3, func(_ context.Context, f laneFrame) {
		started <- f.chat
		<-release
	})
	ctx := context.Background()
	l.run(ctx, "slow", laneFrame{"slow", 0})
	l.run(ctx, "slow", laneFrame{"slow", 1}) // waits behind the first
	if c := <-started; c != "slow" {
		t.Fatalf("first frame run: %s", c)
	}
	l.run(ctx, "fast", laneFrame{"fast", 0}) // the third slot
	select {
	case c := <-started:
		if c != "fast" {
			t.Fatalf("ran %s's frame while the slow chat's first had not finished", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("another chat's frame waited for the slow chat")
	}
	// Three frames are in flight (two of the slow chat): a fourth waits
	// for a slot, until its context ends.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if l.run(short, "other", laneFrame{"other", 0}) {
		t.Fatal("a fourth frame was taken with 3 in flight and max 3")
	}
	close(release)
	l.wait()
	if c := <-started; c != "slow" {
		t.Fatalf("after the release: %s ran, want the slow chat's second frame", c)
	}
	select {
	case c := <-started:
		t.Fatalf("%s ran a frame that was refused", c)
	default:
	}
}

// TestLanesKeepTheirRunners: one chat's frame after another's, each
// waited for, are run by the one runner, which ends with wait.
func TestLanesKeepTheirRunners(t *testing.T) {
	ran := make(chan string)
	l := newLanes(4, func(_ context.Context, f laneFrame) { ran <- f.chat })
	for i := range 20 {
		chat := fmt.Sprintf("chat-%d", i)
		l.run(context.Background(), chat, laneFrame{chat, 0})
		if got := <-ran; got != chat {
			t.Fatalf("ran %s, want %s", got, chat)
		}
		// The runner waits for the next chat once it has given back the
		// frame's slot.
		for deadline := time.Now().Add(10 * time.Second); ; {
			l.mu.Lock()
			idle := l.idle
			l.mu.Unlock()
			if idle == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after chat %d: %d runners idle, want 1", i, idle)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if n := l.started.Load(); n != 1 {
		t.Fatalf("%d runners started for frames one after another, want 1", n)
	}
	waited := make(chan struct{})
	go func() { l.wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(laneIdle / 2):
		t.Fatal("wait waited for the idle runner to give up")
	}
}
