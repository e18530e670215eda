package main

import (
	"bytes"
	"context"
	"encoding/json"
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

// demoChat drives one chat of the demo flow over the widget's HTTP API
// of the service at url.
type demoChat struct {
	t            *testing.T
	url, id, sec string
	seq          int64
}

func (c *demoChat) post(path string, body any, out any) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.url+path, bytes.NewReader(b))
	req.Header.Set("Origin", c.url)
	req.Header.Set("Content-Type", "application/json")
	if c.sec != "" {
		req.Header.Set(protocol.HeaderResumeSecret, c.sec)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 || json.Unmarshal(data, out) != nil {
		c.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, data)
	}
}

// waitFor reads the chat's messages until one holds any of words, and
// returns its text.
func (c *demoChat) waitFor(words ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/chat/api/v1/chats/%s/messages?after=%d&wait=1", c.url, c.id, c.seq), nil)
		req.Header.Set("Origin", c.url)
		req.Header.Set(protocol.HeaderResumeSecret, c.sec)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			c.t.Fatal(err)
		}
		var out protocol.PollResponse
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil {
			c.t.Fatalf("read messages: %d %v", resp.StatusCode, err)
		}
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
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if r, err := http.Get(url + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not start")
		}
	}

	checkAccount := func() string {
		c := &demoChat{t: t, url: url}
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
