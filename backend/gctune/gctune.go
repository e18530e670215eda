// Package gctune lowers the garbage collector's target while a node
// holds many open sockets.
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
package gctune

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"
)

// Options says when and how far to lower the target.
type Options struct {
	// IdleGOGC is the collector's target while Sockets() is at least
	// Threshold; 0 or less leaves GOGC alone.
	IdleGOGC int
	// Threshold is the open sockets from which IdleGOGC applies.
	Threshold int
	// Every is how often the sockets are counted.
	Every time.Duration
}

// Target is the GOGC a node with sockets open should run with, given the
// operator's (base; negative: collection off).
func Target(base, sockets int, o Options) int {
	if o.IdleGOGC <= 0 || sockets < o.Threshold || base < 0 || base <= o.IdleGOGC {
		return base
	}
	return o.IdleGOGC
}

// Run keeps the collector's target at Target until ctx ends, then puts
// the operator's back.
func Run(ctx context.Context, log *slog.Logger, sockets func() int, o Options) {
	base := debug.SetGCPercent(100)
	debug.SetGCPercent(base)
	current := base
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
		n := sockets()
		if want := Target(base, n, o); want != current {
			debug.SetGCPercent(want)
			log.Info("garbage collector target changed", "gogc", want, "open_sockets", n, "threshold", o.Threshold)
			current = want
		}
	}
}
