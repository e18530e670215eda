package outbound

import (
	"fmt"
	"net/netip"

	"halochat/backend/httpx"
)

// AllowList is the internal addresses the client may reach: whole
// ranges, and single ports of one address (an "IP:port" entry opens that
// port and no other, as the demo host needs).
type AllowList struct {
	Prefixes []netip.Prefix
	Ports    []netip.AddrPort
}

// Allows reports whether the list holds the address ap dials.
func (l AllowList) Allows(ap netip.AddrPort) bool {
	a := ap.Addr().Unmap()
	for _, p := range l.Prefixes {
		if p.Contains(a) {
			return true
		}
	}
	for _, p := range l.Ports {
		if p.Addr().Unmap() == a && p.Port() == ap.Port() {
			return true
		}
	}
	return false
}

// ParseAllowList reads an allow-list's entries: IP addresses and CIDR
// prefixes, or IP:port for that port alone. Empty entries are skipped.
func ParseAllowList(items []string) (AllowList, error) {
	var out AllowList
	var ranges []string
	for _, it := range items {
		if ap, err := netip.ParseAddrPort(it); err == nil {
			out.Ports = append(out.Ports, ap)
		} else {
			ranges = append(ranges, it)
		}
	}
	var err error
	if out.Prefixes, err = httpx.ParsePrefixes(ranges); err != nil {
		return AllowList{}, fmt.Errorf("%w (nor IP:port)", err)
	}
	for i, p := range out.Prefixes {
		// Dialled addresses are compared unmapped: an IPv4-mapped range
		// (::ffff:10.0.0.0/104) means its IPv4 range.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			out.Prefixes[i] = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
	}
	return out, nil
}
