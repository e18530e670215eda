package gctune_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"halochat/backend/gctune"
)

// gogc reads the collector's target without setting it.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

func TestTarget(t *testing.T) {
	on := gctune.Options{IdleGOGC: 25, Threshold: 2000}
	floor := gctune.Options{IdleGOGC: 25, Threshold: 2000, MinHeap: 64 << 20}
	for _, tc := range []struct {
		name          string
		base, sockets int
		live          uint64
		o             gctune.Options
		want          int
	}{
		{"few sockets keep the operator's", 100, 1999, 8 << 20, on, 100},
		{"many sockets lower it", 100, 2000, 8 << 20, on, 25},
		{"an operator's lower target stays", 10, 5000, 8 << 20, on, 10},
		{"collection off stays off", -1, 5000, 8 << 20, on, -1},
		{"tuning off", 100, 5000, 8 << 20, gctune.Options{Threshold: 2000}, 100},
		{"an operator's higher target is lowered too", 400, 3000, 8 << 20, on, 25},
		{"a small live heap may grow to the floor", 100, 10, 16 << 20, floor, 300},
		{"the floor's target is bounded", 100, 10, 4 << 20, floor, gctune.MaxFloorGOGC},
		{"a live heap near the floor keeps the operator's", 100, 10, 40 << 20, floor, 100},
		{"a live heap above the floor keeps the operator's", 100, 10, 100 << 20, floor, 100},
		{"an operator's higher target stays above the floor's", 500, 10, 16 << 20, floor, 500},
		{"no floor while many sockets are open", 100, 2000, 16 << 20, floor, 25},
		{"no floor with collection off", -1, 10, 16 << 20, floor, -1},
		{"no floor before a collection has measured the heap", 100, 10, 0, floor, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gctune.Target(tc.base, tc.sockets, tc.live, tc.o); got != tc.want {
				t.Fatalf("Target(%d, %d, %d) = %d, want %d", tc.base, tc.sockets, tc.live, got, tc.want)
			}
		})
	}
}

// Run follows the open sockets and the live heap: each step sets the
// sockets and waits for the target it should bring; when Run stops, the
// operator's target (100) is back.
func TestRunFollowsSocketsAndHeap(t *testing.T) {
	type step struct{ sockets, want int }
	for _, tc := range []struct {
		name  string
		o     gctune.Options
		steps []step
	}{
		{"sockets both ways", gctune.Options{IdleGOGC: 25, Threshold: 10},
			[]step{{50, 25}, {3, 100}, {50, 25}}},
		// Every live heap is below a floor of a TiB: the bounded target.
		{"a small heap's floor", gctune.Options{IdleGOGC: 25, Threshold: 10, MinHeap: 1 << 40},
			[]step{{0, gctune.MaxFloorGOGC}, {50, 25}, {3, gctune.MaxFloorGOGC}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := debug.SetGCPercent(100)
			defer debug.SetGCPercent(base)
			runtime.GC() // the live heap measured
			var sockets atomic.Int64
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			o := tc.o
			o.Every = 5 * time.Millisecond
			go func() {
				defer close(done)
				gctune.Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), func() int { return int(sockets.Load()) }, o)
			}()
			for _, st := range tc.steps {
				sockets.Store(int64(st.sockets))
				waitGOGC(t, st.want)
			}
			cancel()
			<-done
			if got := gogc(); got != 100 {
				t.Fatalf("after Run: GOGC %d, want the operator's 100", got)
			}
		})
	}
}

// waitGOGC waits up to 2 s for the collector's target to be want.
func waitGOGC(t *testing.T, want int) {
	t.Helper()
	for range 400 {
		if gogc() == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("GOGC never became %d (it is %d)", want, gogc())
}
