// Package outbound holds the one guarded HTTP client the service calls
// other servers with (runbooks, webhook deliveries): it refuses to
// connect to internal addresses unless the operator's allow-list opens
// them (an SSRF guard), uses no proxy, follows no redirect and bounds
// the answers it reads.
//
// The check runs on the address actually dialled, so DNS answers and
// redirects cannot get around it.
package outbound

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlocked is a target address refused by the SSRF guard; the client's
// errors wrap it (errors.Is).
var ErrBlocked = errors.New("outbound target address is not allowed")

// ErrTooLarge is an answer larger than Options.MaxResponseBytes; reading
// the answer's body fails with it (errors.Is).
var ErrTooLarge = errors.New("outbound answer too large")

// DefaultMaxResponseBytes bounds an answer when Options leave it 0.
const DefaultMaxResponseBytes = 1 << 20

// Options configures NewClient.
type Options struct {
	// Allow lists the internal addresses (loopback, private, link-local
	// and the like) the client may reach all the same. Empty: only
	// public addresses.
	Allow AllowList
	// MaxResponseBytes bounds an answer's body: reading past it fails
	// with ErrTooLarge. 0: DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Timeout bounds a whole call (http.Client.Timeout); 0: none, the
	// caller's context bounds it.
	Timeout time.Duration
	// IdleConnsPerHost is how many idle connections to one host the
	// client keeps for the next call (default 4): webhook deliveries,
	// many at once to few receivers, keep more.
	IdleConnsPerHost int
}

// NewClient returns the guarded client: it dials only public addresses
// and those Allow lists, ignores proxy settings (a proxy would dial for
// it, past the guard), answers a redirect as it is instead of following
// it, and fails reading a body larger than MaxResponseBytes.
func NewClient(o Options) *http.Client {
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	allow := o.Allow
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		return allow.check(address)
	}}
	return &http.Client{
		Transport: &boundedTransport{max: o.MaxResponseBytes, next: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: cmp.Or(o.IdleConnsPerHost, 4),
			IdleConnTimeout:     60 * time.Second,
			TLSHandshakeTimeout: 5 * time.Second,
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       o.Timeout,
	}
}

// Internal reports addresses the client may not reach by default:
// loopback, private, link-local, multicast, unspecified, carrier-grade
// NAT and other special-purpose ranges, and cloud metadata addresses.
func Internal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) || // carrier-grade NAT
		netip.MustParsePrefix("192.0.0.0/24").Contains(a) ||
		netip.MustParsePrefix("198.18.0.0/15").Contains(a) ||
		netip.MustParsePrefix("0.0.0.0/8").Contains(a) ||
		netip.MustParsePrefix("fd00:ec2::254/128").Contains(a) // AWS IMDS over IPv6
}

// check is the dialler's guard on the address about to be connected.
func (l AllowList) check(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	if l.Allows(ap) {
		return nil
	}
	if a := ap.Addr().Unmap(); Internal(a) {
		return fmt.Errorf("%w: %s is internal (allow it in the outbound allow-list)", ErrBlocked, a)
	}
	return nil
}

// boundedTransport makes every answer's body fail past max bytes.
type boundedTransport struct {
	max  int64
	next http.RoundTripper
}

func (t *boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// boundedBody reads at most left bytes, then fails with ErrTooLarge if
// more follow.
type boundedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the bound from a larger one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w (more than the bound)", ErrTooLarge)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
