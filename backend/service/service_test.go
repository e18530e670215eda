package service

import (
	"net/netip"
	"slices"
	"testing"
)

func TestRunbookAllowList(t *testing.T) {
	l, err := runbookAllowList([]string{"10.1.0.0/16", "192.168.1.7", "127.0.0.1:8081", "[::1]:8081", ""})
	if err != nil {
		t.Fatal(err)
	}
	wantPrefixes := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.1.7/32")}
	wantPorts := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8081"), netip.MustParseAddrPort("[::1]:8081")}
	if !slices.Equal(l.Prefixes, wantPrefixes) || !slices.Equal(l.Ports, wantPorts) {
		t.Errorf("runbookAllowList = %v %v, want %v %v", l.Prefixes, l.Ports, wantPrefixes, wantPorts)
	}
	for _, bad := range []string{"localhost", "127.0.0.1:http", "10.0.0.0/33", "[::1]"} {
		if _, err := runbookAllowList([]string{bad}); err == nil {
			t.Errorf("runbookAllowList(%q) accepted", bad)
		}
	}
}
