package main

import "testing"

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
