package outbound

import (
	"net/netip"
	"slices"
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

func TestParseAllowList(t *testing.T) {
	l, err := ParseAllowList([]string{"10.1.0.0/16", "192.168.1.7", "127.0.0.1:8081", "[::1]:8081", ""})
	if err != nil {
		t.Fatal(err)
	}
	wantPrefixes := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.1.7/32")}
	wantPorts := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8081"), netip.MustParseAddrPort("[::1]:8081")}
	if !slices.Equal(l.Prefixes, wantPrefixes) || !slices.Equal(l.Ports, wantPorts) {
		t.Errorf("ParseAllowList = %v %v, want %v %v", l.Prefixes, l.Ports, wantPrefixes, wantPorts)
	}
	for _, bad := range []string{"localhost", "127.0.0.1:http", "10.0.0.0/33", "[::1]"} {
		if _, err := ParseAllowList([]string{bad}); err == nil {
			t.Errorf("ParseAllowList(%q) accepted", bad)
		}
	}
}

// FuzzParseAllowList: any entry is either refused or read into a list
// whose every range and port allows its own address.
func FuzzParseAllowList(f *testing.F) {
	for _, s := range []string{"10.1.0.0/16", "192.168.1.7", "127.0.0.1:8081", "[::1]:8081", "", "localhost", "[::1]", "::ffff:10.0.0.1/104"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		l, err := ParseAllowList([]string{entry})
		if err != nil {
			return
		}
		for _, p := range l.Prefixes {
			if !l.Allows(netip.AddrPortFrom(p.Addr(), 443)) {
				t.Errorf("%q: prefix %s does not allow its own address", entry, p)
			}
		}
		for _, p := range l.Ports {
			if !l.Allows(p) {
				t.Errorf("%q: %s does not allow itself", entry, p)
			}
		}
	})
}
