// Package gctune sets the garbage collector's target from what a node
// holds: lower while it holds many open sockets, higher while its live
// heap is small.
//
// An idle chat's memory is mostly the collector's headroom: with the
// default GOGC (100) the heap may grow to twice what is live before a
// collection, and the pages it grew into stay with the process. On a
// node holding tens of thousands of idle chats that headroom is most of
// the RSS, and where a collection falls decides the figure (measured
// 10.2 to 31.7 KiB a chat between runs of the same code); with GOGC=25
// it held at 8.7 to 10.9. A node with few sockets keeps the operator's
// GOGC: its heap is small, and collecting more often would cost message
// throughput for no memory worth saving (docs/SCALING.md).
//
// The other way: a busy node with few sockets has a small live heap (8
// to 13 MiB under a load of chat starts), and GOGC=100 then collects
// every few MiB allocated, some 20 times a second. Below the sockets'
// threshold the target rises so that the heap may grow to MinHeap
// before a collection (a floor of the heap's goal, as a ballast once
// gave, without the ballast's pages), up to MaxFloorGOGC.
package gctune

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Options says when and how far to lower the target.
type Options struct {
	// IdleGOGC is the collector's target while Sockets() is at least
	// Threshold; 0 or less leaves GOGC alone.
	IdleGOGC int
	// Threshold is the open sockets from which IdleGOGC applies.
	Threshold int
	// MinHeap is the heap, in bytes, the collector lets grow before it
	// collects while fewer than Threshold sockets are open: GOGC rises
	// above the operator's to reach it (never above MaxFloorGOGC). 0: no
	// floor.
	MinHeap uint64
	// Every is how often the sockets and the live heap are read.
	Every time.Duration
}

// MaxFloorGOGC bounds the target MinHeap sets: a live heap that grows
// at once (between two reads) lets the heap grow to at most 5× it
// before a collection, against 2× with GOGC=100.
const MaxFloorGOGC = 400

// Target is the GOGC a node with sockets open and live bytes of live
// heap should run with, given the operator's (base; negative: collection
// off).
func Target(base, sockets int, live uint64, o Options) int {
	if base < 0 {
		return base
	}
	if sockets >= o.Threshold {
		if o.IdleGOGC > 0 && base > o.IdleGOGC {
			return o.IdleGOGC
		}
		return base
	}
	if o.MinHeap == 0 || live == 0 || live >= o.MinHeap {
		return base
	}
	// The heap's goal is live × (1 + GOGC/100).
	floor := int(min((o.MinHeap-live)*100/live, MaxFloorGOGC))
	return max(base, floor)
}

// liveHeap is the heap the last collection found live, in bytes.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// Run keeps the collector's target at Target until ctx ends, then puts
// the operator's back.
func Run(ctx context.Context, log *slog.Logger, sockets func() int, o Options) {
	base := debug.SetGCPercent(100)
	debug.SetGCPercent(base)
	current := base
	set := func() {
		n := sockets()
		if want := Target(base, n, liveHeap(), o); want != current {
			debug.SetGCPercent(want)
			// The floor moves with the live heap: logged at debug level.
			level := slog.LevelInfo
			if n < o.Threshold {
				level = slog.LevelDebug
			}
			log.Log(ctx, level, "garbage collector target changed", "gogc", want, "open_sockets", n, "threshold", o.Threshold)
			current = want
		}
	}
	set()
	t := time.NewTicker(o.Every)
	defer t.Stop()
	defer func() {
		if current != base {
			debug.SetGCPercent(base)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		set()
	}
}
