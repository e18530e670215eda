package chats

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// RunbookOptions configures a RunbookClient.
type RunbookOptions struct {
	// DefaultTimeout applies to runbooks without their own. Default 10 s.
	DefaultTimeout time.Duration
	// Allow lists the internal addresses (loopback, private, link-local
	// and the like) a runbook may reach all the same. Empty: only public
	// addresses.
	Allow AllowList
	// MaxResponseBytes bounds a runbook's answer. Default 1 MiB.
	MaxResponseBytes int64
}

// RunbookClient calls runbooks: a signed JSON POST with a timeout, that
// refuses to connect to internal addresses (SSRF guard) unless allowed.
// The check runs on the address actually dialled, so DNS answers and
// redirects cannot get around it.
type RunbookClient struct {
	opts   RunbookOptions
	client *http.Client
}

// NewRunbookClient returns a RunbookClient.
func NewRunbookClient(o RunbookOptions) *RunbookClient {
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = 10 * time.Second
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 1 << 20
	}
	rc := &RunbookClient{opts: o}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: rc.control}
	rc.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // a proxy would dial for us, past the guard
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     60 * time.Second,
			TLSHandshakeTimeout: 5 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return rc
}

// AllowList is the internal addresses runbooks may reach: whole ranges,
// and single ports of one address (an "IP:port" entry opens that port
// and no other, as the demo host needs).
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

// errBlocked is a runbook target refused by the SSRF guard.
var errBlocked = errors.New("runbook target address is not allowed")

// internal reports addresses a runbook may not reach by default.
func internal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) || // carrier-grade NAT
		netip.MustParsePrefix("192.0.0.0/24").Contains(a) ||
		netip.MustParsePrefix("198.18.0.0/15").Contains(a) ||
		netip.MustParsePrefix("0.0.0.0/8").Contains(a) ||
		netip.MustParsePrefix("fd00:ec2::254/128").Contains(a) // AWS IMDS over IPv6
}

func (rc *RunbookClient) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errBlocked, address)
	}
	if rc.opts.Allow.Allows(ap) {
		return nil
	}
	if a := ap.Addr().Unmap(); internal(a) {
		return fmt.Errorf("%w: %s is internal (allow it in the runbook allow-list)", errBlocked, a)
	}
	return nil
}

// Sign returns the signature header value of a runbook call's body:
// "sha256=" and the hex HMAC-SHA256 of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Call POSTs body to the runbook. ok is true for a 2xx answer within the
// timeout; resp is its body.
func (rc *RunbookClient) Call(ctx context.Context, rb *store.Runbook, body []byte) ([]byte, error) {
	timeout := rc.opts.DefaultTimeout
	if rb.TimeoutMS > 0 {
		timeout = time.Duration(rb.TimeoutMS) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rb.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("runbook %s: %w", rb.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "halochat-runbook/1")
	req.Header.Set(protocol.HeaderSignature, Sign(rb.Secret, body))
	req.Header.Set(protocol.HeaderRunbook, rb.ID)
	resp, err := rc.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("runbook %s: %w", rb.ID, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, rc.opts.MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("runbook %s: read answer: %w", rb.ID, err)
	}
	if int64(len(data)) > rc.opts.MaxResponseBytes {
		return nil, fmt.Errorf("runbook %s: answer larger than %d bytes", rb.ID, rc.opts.MaxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("runbook %s: status %s", rb.ID, resp.Status)
	}
	return data, nil
}

// callRunbook performs a runbook step's call and reports its outcome as
// the flow's RunbookResult wants it. Failures are logged, never fatal.
func (s *Service) callRunbook(ctx context.Context, c *store.Chat, rt *runtime, st flow.State, act *flow.Output) (bool, []byte) {
	log := s.log.With("chat", c.ID, "step", act.Step, "runbook", act.Runbook)
	if s.runbook == nil {
		log.Warn("runbook call failed: runbooks are not configured")
		return false, nil
	}
	rb, err := s.store.GetRunbook(ctx, act.Runbook)
	if err != nil {
		log.Warn("runbook call failed", "err", err)
		return false, nil
	}
	req := protocol.RunbookRequest{Runbook: rb.ID, ChatID: c.ID, Step: act.Step,
		SentAt: s.store.Now().Format(time.RFC3339), User: rt.env.User, ChatFields: map[string]string{},
		Variables: map[string]any{}}
	if req.User == nil {
		req.User = map[string]string{}
	}
	for k, v := range rt.env.Chat {
		req.ChatFields[k] = v.String()
	}
	for k, v := range st.Vars {
		var x any = v.String()
		if n, ok := v.Number(); ok {
			x = n
		} else if b, ok := v.Bool(); ok {
			x = b
		}
		req.Variables[k] = x
	}
	body, err := json.Marshal(req)
	if err != nil {
		log.Error("runbook call failed: encode", "err", err)
		return false, nil
	}
	start := time.Now()
	resp, err := s.runbook.Call(ctx, rb, body)
	if err != nil {
		log.Warn("runbook call failed", "err", err, "took", time.Since(start))
		return false, nil
	}
	log.Info("runbook called", "took", time.Since(start))
	return true, resp
}
