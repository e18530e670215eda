package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestOutboundAllowEnv(t *testing.T) {
	for _, tt := range []struct {
		name, outbound, runbook, want string
	}{
		{name: "neither", want: ""},
		{name: "new name", outbound: "10.0.0.0/8", want: "10.0.0.0/8"},
		{name: "older name still works", runbook: "127.0.0.1:8081", want: "127.0.0.1:8081"},
		{name: "new name wins", outbound: "10.0.0.0/8", runbook: "127.0.0.1:8081", want: "10.0.0.0/8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HALOCHAT_OUTBOUND_ALLOW", tt.outbound)
			t.Setenv("HALOCHAT_RUNBOOK_ALLOW", tt.runbook)
			if got := outboundAllowEnv(); got != tt.want {
				t.Errorf("outboundAllowEnv() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestServeOptionsOutOfRangeAreRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    serveOptions
		want string // in the error; "" accepted
	}{
		{name: "defaults", o: serveOptions{GCMinHeapMiB: 64}},
		{name: "no heap floor", o: serveOptions{GCMinHeapMiB: 0}},
		{name: "negative heap floor", o: serveOptions{GCMinHeapMiB: -1}, want: "--gc-min-heap"},
		{name: "negative pool", o: serveOptions{Pool: -1}, want: "--db-pool"},
		{name: "append batches below -1", o: serveOptions{AppendBatches: -2}, want: "--append-batches"},
		{name: "start batches below -1", o: serveOptions{StartBatches: -2}, want: "--start-batches"},
		{name: "unknown limits", o: serveOptions{Limits: "none"}, want: "--limits"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.o.check(slog.New(slog.NewTextHandler(io.Discard, nil)))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("check: %v, want accepted", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("check: %v, want an error naming %s", err, tt.want)
			}
		})
	}
}
