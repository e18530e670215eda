// Package tick runs background work at a steady pace until its context
// ends: the workers, sweeps and presence refreshes of the server all
// wait on a ticker the same way.
package tick

import (
	"context"
	"time"
)

// Every calls fn every interval until ctx ends, and never once it has
// ended. The first call comes one interval after the start; a call that
// takes longer than the interval delays the next rather than overlapping
// it.
func Every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Both cases may be ready at once: select picks either.
		if ctx.Err() != nil {
			return
		}
		fn(ctx)
	}
}
