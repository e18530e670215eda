package widget

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStopContextEndsOnceWithItsReason(t *testing.T) {
	tests := []struct {
		name     string
		make     func() (context.Context, func())
		stop     bool // call stop; otherwise wait for the timer
		want     error
		deadline bool
	}{
		{"stopped", withStop, true, context.Canceled, false},
		{"stopped before its timeout", func() (context.Context, func()) { return withTimeout(time.Hour) }, true, context.Canceled, true},
		{"timed out", func() (context.Context, func()) { return withTimeout(time.Millisecond) }, false, context.DeadlineExceeded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, stop := tt.make()
			if _, ok := ctx.Deadline(); ok != tt.deadline {
				t.Errorf("Deadline reports %v, want %v", ok, tt.deadline)
			}
			if tt.stop {
				if err := ctx.Err(); err != nil {
					t.Fatalf("Err before the end = %v", err)
				}
				stop()
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("Done never closed")
			}
			stop() // a second end changes nothing
			if err := ctx.Err(); !errors.Is(err, tt.want) {
				t.Errorf("Err = %v, want %v", err, tt.want)
			}
			if ctx.Value("key") != nil {
				t.Error("Value is not nil")
			}
		})
	}
}
