package chats

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/outbound"
	"halochat/backend/store"
)

// RunbookOptions configures a RunbookClient.
type RunbookOptions struct {
	// DefaultTimeout applies to runbooks without their own. Default 10 s.
	DefaultTimeout time.Duration
	// Allow lists the internal addresses (loopback, private, link-local
	// and the like) a runbook may reach all the same: the service's one
	// outbound allow-list. Empty: only public addresses.
	Allow outbound.AllowList
	// MaxResponseBytes bounds a runbook's answer. Default 1 MiB.
	MaxResponseBytes int64
}

// RunbookClient calls runbooks: a signed JSON POST with a timeout,
// through the outbound guard (no internal addresses unless allowed, no
// proxy, no redirects, bounded answers).
type RunbookClient struct {
	opts   RunbookOptions
	client *http.Client
}

// NewRunbookClient returns a RunbookClient.
func NewRunbookClient(o RunbookOptions) *RunbookClient {
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = 10 * time.Second
	}
	return &RunbookClient{opts: o, client: outbound.NewClient(outbound.Options{Allow: o.Allow, MaxResponseBytes: o.MaxResponseBytes})}
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
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("runbook %s: read answer: %w", rb.ID, err)
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
