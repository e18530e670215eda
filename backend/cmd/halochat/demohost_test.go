package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
)

// freeAddr returns a loopback address no one listens on (for a moment).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// demoChat drives one chat of the demo flow over the widget's HTTP API.
type demoChat struct {
	t       *testing.T
	api     *testenv.Client // calls as the widget makes them
	id, sec string
	seq     int64
}

func (c *demoChat) post(path string, body any, out any) {
	c.t.Helper()
	r := c.api.Do("POST", path, body, protocol.HeaderResumeSecret, c.sec)
	if r.Status >= 300 {
		c.t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	r.Decode(out)
}

// waitFor reads the chat's messages until one holds any of words, and
// returns its text.
func (c *demoChat) waitFor(words ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var out protocol.PollResponse
		c.api.Do("GET", fmt.Sprintf("/chat/api/v1/chats/%s/messages?after=%d&wait=1", c.id, c.seq), nil,
			protocol.HeaderResumeSecret, c.sec).Decode(&out)
		for _, m := range out.Messages {
			c.seq = max(c.seq, m.Seq)
			for _, w := range words {
				if strings.Contains(m.Text, w) {
					return m.Text
				}
			}
		}
	}
	c.t.Fatalf("no message holding %q", words)
	return ""
}

// The demo host's runbook is the only internal address --demo-host opens
// to runbooks: a runbook pointed at another port of the same loopback
// address is refused by the SSRF guard (and so takes its failure branch).
func TestDemoHostOpensOnlyItsOwnPortToRunbooks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := testenv.SQLiteDSN(t)
	st, res := storetest.Demo(t, dsn)

	var victimHits atomic.Int64
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		victimHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"account":{"status":"reached an internal service"}}`)
	}))
	defer victim.Close()

	addr, demoHost := freeAddr(t), freeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), serveOptions{Addr: addr, DSN: &dsn, DemoHost: demoHost})
	}()
	url := "http://" + addr
	api := testenv.NewClient(t, url, "Origin", url)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r, err := api.Send("GET", "/readyz", nil); err == nil && r.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not start")
		}
	}

	checkAccount := func() string {
		c := &demoChat{t: t, api: api}
		var started protocol.StartChatResponse
		c.post("/chat/api/v1/start", protocol.StartChatRequest{ConfigID: res.Profile.ID, ConfigKey: res.Profile.Key,
			HostOrigin: "https://host.example"}, &started)
		c.id, c.sec = started.ChatID, started.ResumeSecret
		for _, m := range started.Messages {
			c.seq = max(c.seq, m.Seq)
		}
		choice := 3 // "Check my account"
		var ack protocol.Ack
		c.post("/chat/api/v1/chats/"+c.id+"/messages", protocol.SendRequest{ClientMsgID: "check", Choice: &choice}, &ack)
		return c.waitFor("Your account is", "could not look your account up")
	}

	// serve points the demo runbook at the demo host: allowed.
	if got := checkAccount(); !strings.Contains(got, "Your account is") {
		t.Fatalf("the demo host's runbook: %q, want it answered", got)
	}
	// Another port of the same loopback address: refused.
	rb, err := st.GetRunbook(ctx, demo.RunbookID)
	if err != nil {
		t.Fatal(err)
	}
	rb.URL = victim.URL + demo.RunbookPath
	if err := st.UpdateRunbook(ctx, rb); err != nil {
		t.Fatal(err)
	}
	if got := checkAccount(); !strings.Contains(got, "could not look your account up") || victimHits.Load() != 0 {
		t.Errorf("a runbook at %s (not the demo host %s): %q after %d calls reached it; want the failure branch and none",
			victim.URL, demoHost, got, victimHits.Load())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
