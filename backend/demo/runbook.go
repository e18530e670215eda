package demo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// The demo runbook: the flow's "Check my account" step calls it. The
// binary serves it on the demo host (RunbookPath) when --demo-host is
// given, and points the runbook at that address on start.
const (
	RunbookID   = "demo-account-status"
	RunbookPath = "/runbooks/account-status"
	// defaultRunbookURL is where `make run` serves it (DEMO_HOST).
	defaultRunbookURL = "http://127.0.0.1:8081" + RunbookPath
)

// EnsureRunbook makes (or finds) the demo runbook; a non-empty url
// replaces its URL (serve sets the real demo host address).
func EnsureRunbook(ctx context.Context, st *store.Store, url string) error {
	rb, err := st.GetRunbook(ctx, RunbookID)
	if errors.Is(err, store.ErrNotFound) {
		if url == "" {
			url = defaultRunbookURL
		}
		err = st.CreateRunbook(ctx, &store.Runbook{ID: RunbookID, Name: "Demo account status", URL: url, TimeoutMS: 5000})
		if err != nil {
			return fmt.Errorf("demo runbook: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo runbook: %w", err)
	}
	if url != "" && rb.URL != url {
		rb.URL = url
		if err := st.UpdateRunbook(ctx, rb); err != nil {
			return fmt.Errorf("demo runbook: %w", err)
		}
	}
	return nil
}

// RunbookHandler is the example runbook endpoint: it checks the call's
// HMAC signature with the runbook's secret and answers
// {"account": {"status": …, "number": …}} from the chat's
// CFaccountNumber field ("active" when there is one, "unknown"
// otherwise).
func RunbookHandler(st *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		rb, err := st.GetRunbook(r.Context(), RunbookID)
		if err != nil {
			http.Error(w, "runbook not configured", http.StatusServiceUnavailable)
			return
		}
		m := hmac.New(sha256.New, []byte(rb.Secret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get(protocol.HeaderSignature))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var req protocol.RunbookRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		status := "unknown"
		number := strings.TrimSpace(req.ChatFields["CFaccountNumber"])
		if number != "" {
			status = "active"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"account": map[string]string{"status": status, "number": number}})
	})
}
