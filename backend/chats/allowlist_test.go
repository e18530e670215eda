package chats

import (
	"net/netip"
	"testing"
)

func TestAllowList(t *testing.T) {
	l := AllowList{
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.1.7/32")},
		Ports:    []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8081"), netip.MustParseAddrPort("[::1]:8081")},
	}
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"10.1.2.3:443", true},
		{"10.2.0.1:443", false},
		{"192.168.1.7:80", true},
		{"192.168.1.8:80", false},
		{"127.0.0.1:8081", true},
		{"127.0.0.1:8080", false}, // the service itself, on the same address
		{"127.0.0.2:8081", false},
		{"[::1]:8081", true},
		{"[::1]:5432", false},
		{"[::ffff:127.0.0.1]:8081", true},
	} {
		if got := l.Allows(netip.MustParseAddrPort(tt.addr)); got != tt.want {
			t.Errorf("Allows(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
