package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.7", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		trust   bool // behind TrustProxies(proxies)
		remote  string
		forward []string // X-Forwarded-For headers
		want    string
	}{
		{"no proxies configured: the header is ignored", false, "10.1.2.3:5000", []string{"203.0.113.9"}, "10.1.2.3"},
		{"peer is not a proxy: the header is a lie", true, "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"from a proxy", true, "10.1.2.3:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a proxy given by address", true, "192.0.2.7:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-sent entries left of the proxy's are not believed", true, "10.1.2.3:5000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"a chain of proxies", true, "10.1.2.3:5000", []string{"203.0.113.9, 10.9.9.9, 192.0.2.7"}, "203.0.113.9"},
		{"several headers read in order", true, "10.1.2.3:5000", []string{"1.1.1.1", "203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"every hop a proxy: the farthest", true, "10.1.2.3:5000", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"no header: the proxy itself", true, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"a garbled hop stops the walk", true, "10.1.2.3:5000", []string{"203.0.113.9, not-an-ip"}, "10.1.2.3"},
		{"a garbled hop behind a good one", true, "10.1.2.3:5000", []string{"junk, 203.0.113.9"}, "203.0.113.9"},
		{"an entry with a port", true, "10.1.2.3:5000", []string{"203.0.113.9:41000"}, "203.0.113.9"},
		{"IPv6", true, "[::1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped peer", true, "[::ffff:10.1.2.3]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"remote address without a port", false, "203.0.113.9", nil, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, h := range tc.forward {
				r.Header.Add("X-Forwarded-For", h)
			}
			var got string
			var h http.Handler = http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = ClientIP(r) })
			if tc.trust {
				h = TrustProxies(proxies, h)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Errorf("ClientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes([]string{"10.1.2.3/8", "", "2001:db8::1"})
	if err != nil || len(got) != 2 || got[0].String() != "10.0.0.0/8" || got[1].String() != "2001:db8::1/128" {
		t.Errorf("ParsePrefixes = %v, %v", got, err)
	}
	if _, err := ParsePrefixes([]string{"10.0.0.0/8", "proxy.example"}); err == nil {
		t.Error("a host name was accepted")
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ name, addr, want string }{
		{"IPv4: the address itself", "203.0.113.9", "203.0.113.9"},
		{"IPv4: a neighbour is another key", "203.0.113.10", "203.0.113.10"},
		{"IPv6: its /64", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"IPv6: another address of that /64, the same key", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"IPv6: the next /64, another key", "2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"IPv6 loopback", "::1", "::/64"},
		{"IPv6 with a zone", "fe80::1%eth0", "fe80::/64"},
		{"IPv4-mapped IPv6: the IPv4 address", "::ffff:203.0.113.9", "203.0.113.9"},
		{"not an address: itself", "pipe", "pipe"},
	} {
		if got := AddressKey(tc.addr); got != tc.want {
			t.Errorf("%s: AddressKey(%q) = %q, want %q", tc.name, tc.addr, got, tc.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[2001:db8::7]:5000"
	if got := ClientKey(r); got != "2001:db8::/64" {
		t.Errorf("ClientKey of %s = %q, want 2001:db8::/64", r.RemoteAddr, got)
	}
}
