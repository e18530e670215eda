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

// Call POSTs body to the runbook: its answer's body when it is a 2xx
// within the timeout, else an error.
func (rc *RunbookClient) Call(ctx context.Context, rb *store.Runbook, body []byte) ([]byte, error) {
	status, data, err := rc.post(ctx, rb, body)
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		return nil, fmt.Errorf("runbook %s: status %d %s", rb.ID, status, http.StatusText(status))
	}
	return data, nil
}

// timeout is rb's, or the default.
func (rc *RunbookClient) timeout(rb *store.Runbook) time.Duration {
	if rb.TimeoutMS > 0 {
		return time.Duration(rb.TimeoutMS) * time.Millisecond
	}
	return rc.opts.DefaultTimeout
}

// post POSTs body to the runbook, signed, within its timeout, and
// returns the answer's status and body whatever the status.
func (rc *RunbookClient) post(ctx context.Context, rb *store.Runbook, body []byte) (int, []byte, error) {
	timeout := rc.timeout(rb)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rb.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("runbook %s: %w", rb.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "halochat-runbook/1")
	req.Header.Set(protocol.HeaderSignature, Sign(rb.Secret, body))
	req.Header.Set(protocol.HeaderRunbook, rb.ID)
	resp, err := rc.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, nil, fmt.Errorf("runbook %s: no answer within its timeout of %s: %w", rb.ID, timeout, err)
		}
		return 0, nil, fmt.Errorf("runbook %s: %w", rb.ID, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("runbook %s: read answer: %w", rb.ID, err)
	}
	return resp.StatusCode, data, nil
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
	req := runbookRequest(rb, s.store.Now(), rt.env.User, nil, st.Vars)
	req.ChatID, req.Step = c.ID, act.Step
	for k, v := range rt.env.Chat {
		req.ChatFields[k] = v.String()
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

// runbookRequest is the body of a call of rb at now with the user's
// attributes, chat fields and variables as given (none: empty objects).
func runbookRequest(rb *store.Runbook, now time.Time, user, chatFields map[string]string, vars map[string]flow.Value) protocol.RunbookRequest {
	req := protocol.RunbookRequest{Runbook: rb.ID, SentAt: now.Format(time.RFC3339), User: user,
		ChatFields: chatFields, Variables: make(map[string]any, len(vars))}
	if req.User == nil {
		req.User = map[string]string{}
	}
	if req.ChatFields == nil {
		req.ChatFields = map[string]string{}
	}
	for k, v := range vars {
		var x any = v.String()
		if n, ok := v.Number(); ok {
			x = n
		} else if b, ok := v.Bool(); ok {
			x = b
		}
		req.Variables[k] = x
	}
	return req
}
