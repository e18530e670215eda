package httpx

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParsePrefixes parses a list of IP addresses and CIDR prefixes (an
// address is the prefix of itself alone); empty items are skipped.
func ParsePrefixes(items []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, it := range items {
		if it == "" {
			continue
		}
		if p, err := netip.ParsePrefix(it); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(it)
		if err != nil {
			return nil, fmt.Errorf("entry %q is not an IP address or CIDR prefix", it)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

type clientKey struct{}

// TrustProxies makes ClientIP believe the X-Forwarded-For of requests
// that come from one of proxies (the service's own reverse proxies): the
// client is the nearest address in the header that is not one of them.
// Requests from anywhere else keep their peer address, whatever they
// claim. Without proxies it returns next itself.
func TrustProxies(proxies []netip.Prefix, next http.Handler) http.Handler {
	if len(proxies) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := forwardedFor(r, proxies); ip != "" {
			r = r.WithContext(context.WithValue(r.Context(), clientKey{}, ip))
		}
		next.ServeHTTP(w, r)
	})
}

// ClientIP is the address a per-client limit keys on: the one
// TrustProxies found, else the request's remote host (the whole
// RemoteAddr when it has no port).
func ClientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientKey{}).(string); ok {
		return ip
	}
	return peer(r)
}

// ClientKey is the key per-address limits count a request under:
// AddressKey of its ClientIP.
func ClientKey(r *http.Request) string { return AddressKey(ClientIP(r)) }

// AddressKey is the key per-address limits count addr under: an IPv4
// address itself (an IPv4-mapped IPv6 address as the IPv4 address it
// is), an IPv6 address's /64. One subscriber is routed a whole /64 and
// picks any address in it at will, so keying single IPv6 addresses
// would give one client 2^64 budgets. What does not parse is its own key.
func AddressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

func peer(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedFor walks X-Forwarded-For from the peer back towards the
// client while each hop is a trusted proxy, and returns the first address
// that is not: a proxy appends the address it was reached from, so only
// entries right of the last untrusted one are known true. "" when the
// peer itself is not trusted.
func forwardedFor(r *http.Request, proxies []netip.Prefix) string {
	at, ok := parseAddr(peer(r))
	if !ok || !trusted(at, proxies) {
		return ""
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break // a garbled hop: believe nothing further left
		}
		at = a
		if !trusted(a, proxies) {
			break
		}
	}
	return at.String()
}

// parseAddr reads an address, with or without a port.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(s)
	return a.Unmap(), err == nil
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
