package gctune_test

import (
	"context"
	"io"
	"log/slog"
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
	for _, tc := range []struct {
		name          string
		base, sockets int
		o             gctune.Options
		want          int
	}{
		{"few sockets keep the operator's", 100, 1999, on, 100},
		{"many sockets lower it", 100, 2000, on, 25},
		{"an operator's lower target stays", 10, 5000, on, 10},
		{"collection off stays off", -1, 5000, on, -1},
		{"tuning off", 100, 5000, gctune.Options{Threshold: 2000}, 100},
		{"an operator's higher target is lowered too", 400, 3000, on, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gctune.Target(tc.base, tc.sockets, tc.o); got != tc.want {
				t.Fatalf("Target(%d, %d) = %d, want %d", tc.base, tc.sockets, got, tc.want)
			}
		})
	}
}

// Run follows the open sockets both ways and puts the operator's target
// back when it stops.
func TestRunFollowsTheSockets(t *testing.T) {
	base := debug.SetGCPercent(100)
	defer debug.SetGCPercent(base)
	var sockets atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		gctune.Run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), func() int { return int(sockets.Load()) },
			gctune.Options{IdleGOGC: 25, Threshold: 10, Every: 5 * time.Millisecond})
	}()
	waitGOGC := func(want int) {
		t.Helper()
		for range 400 {
			if gogc() == want {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("GOGC never became %d", want)
	}
	sockets.Store(50)
	waitGOGC(25)
	sockets.Store(3)
	waitGOGC(100)
	sockets.Store(50)
	waitGOGC(25)
	cancel()
	<-done
	if got := gogc(); got != 100 {
		t.Fatalf("after Run: GOGC %d, want the operator's 100", got)
	}
}
