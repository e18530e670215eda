package chatapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// scrape reads the node's /metrics as Prometheus does (from loopback,
// so without credentials) and parses it.
func scrape(t *testing.T, n *node) map[string]*dto.MetricFamily {
	t.Helper()
	r := testenv.NewClient(t, n.url).Do("GET", "/metrics", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics from loopback: %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics: Content-Type %q, want Prometheus's text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, r.Body)
	}
	return fams
}

// value is the value of the family's metric whose labels include
// labels (name, value pairs): a counter's, a gauge's or a histogram's
// count; -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	return -1
}

// TestMetricsMoveWithTheChats scrapes /metrics as a chat starts, is
// queued, accepted and answered: the starts, sockets, messages and
// their commit times, the queue's wait and the open chats move; Go's
// runtime and the database pools are there.
func TestMetricsMoveWithTheChats(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		before := scrape(t, n)
		for _, name := range []string{"go_goroutines", "go_sql_open_connections", "process_resident_memory_bytes",
			"halochat_queue_length", "halochat_webhook_backlog"} {
			if before[name] == nil {
				t.Errorf("/metrics lacks %s", name)
			}
		}
		if v := value(before, "go_sql_max_open_connections", "db_name", "main"); v <= 0 {
			t.Errorf("go_sql_max_open_connections{db_name=main} = %v", v)
		}
		if v := value(before, "halochat_database_scrape_ok"); v != 1 {
			t.Errorf("halochat_database_scrape_ok = %v, want 1", v)
		}
		ag := agentClient(t, n, n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password))
		ag.next(protocol.FrameQueue)
		resp := n.mustStart(protocol.StartChatRequest{})
		v := visitor(t, n, resp.ChatID, resp.ResumeSecret, resp.Chat.LastSeq)
		choose(v, "v1", 2)
		queueFrameWith(ag, resp.ChatID)
		queued := scrape(t, n)
		if v := value(queued, "halochat_queue_oldest_wait_seconds"); v <= 0 || v > 60 {
			t.Errorf("halochat_queue_oldest_wait_seconds with one chat just queued = %v", v)
		}
		ag.send(protocol.Frame{Type: protocol.FrameAccept, ChatID: resp.ChatID})
		ag.next(protocol.FrameAccepted)
		ag.send(protocol.Frame{Type: protocol.FrameSend, ChatID: resp.ChatID, ClientMsgID: "a1", Text: "Hello, how can I help?"})
		ag.next(protocol.FrameAck)
		if f := sendText(v, "v2", "My order is late"); f.Type != protocol.FrameAck {
			t.Fatalf("visitor send: %+v", f.Error)
		}
		sendText(v, "v2", "My order is late") // a resend: a duplicate
		after := scrape(t, n)

		checks := []struct {
			name   string
			labels []string
			from   map[string]*dto.MetricFamily
			delta  float64
		}{
			{"halochat_chat_starts_total", []string{"outcome", "started"}, before, 1},
			{"halochat_sockets_open", []string{"side", "visitor"}, before, 1},
			{"halochat_sockets_open", []string{"side", "agent"}, before, 1},
			{"halochat_chats_open", []string{"status", "queued"}, before, 1},
			{"halochat_queue_length", nil, before, 1},
			{"halochat_messages_total", []string{"sender", "visitor", "outcome", "stored"}, before, 2}, // the choice and the text
			{"halochat_messages_total", []string{"sender", "visitor", "outcome", "duplicate"}, before, 1},
			{"halochat_messages_total", []string{"sender", "agent", "outcome", "stored"}, before, 1},
			{"halochat_message_commit_seconds", []string{"sender", "visitor"}, before, 2},
			{"halochat_message_commit_seconds", []string{"sender", "agent"}, before, 1},
			{"halochat_queue_wait_seconds", nil, before, 1},
			{"halochat_chats_open", []string{"status", "live"}, before, 1},
		}
		for _, c := range checks {
			now := after
			if c.name == "halochat_chats_open" && c.labels[1] == "queued" || c.name == "halochat_queue_length" {
				now = queued
			}
			was, is := max(value(c.from, c.name, c.labels...), 0), value(now, c.name, c.labels...)
			if is-was != c.delta {
				t.Errorf("%s%v: %v → %v, want +%v", c.name, c.labels, was, is, c.delta)
			}
		}
	})
}

// TestMetricsAccess: from another machine (a client behind the service's
// proxy, here a forwarded request) /metrics takes an admin or an API
// client with metrics:read; loopback needs nothing.
func TestMetricsAccess(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		n := e.node(nodeOpts{})
		remote := testenv.NewClient(t, n.url, "X-Forwarded-For", "203.0.113.9")
		cases := []struct {
			name   string
			client *testenv.Client
			want   int
		}{
			{"loopback", testenv.NewClient(t, n.url), http.StatusOK},
			{"remote, no credentials", remote, http.StatusUnauthorized},
			{"remote agent", remote.Bearer(n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)), http.StatusForbidden},
			{"remote API client with chats:read", n.apiClient("reader", []string{store.PermChatsRead}).With("X-Forwarded-For", "203.0.113.9"), http.StatusForbidden},
			{"remote API client with metrics:read", n.apiClient("prometheus", []string{store.PermMetricsRead}).With("X-Forwarded-For", "203.0.113.9"), http.StatusOK},
			{"remote admin", remote.Bearer(n.agentToken(e.demo.Admin.Email, e.demo.Admin.Password)), http.StatusOK},
		}
		for _, c := range cases {
			r := c.client.Do("GET", "/metrics", nil)
			if r.Status != c.want {
				t.Errorf("%s: GET /metrics = %d, want %d (%s)", c.name, r.Status, c.want, r.Body)
			}
			if c.want == http.StatusForbidden {
				if _, msg := r.APIError(); !strings.Contains(msg, "metrics:read") {
					t.Errorf("%s: the refusal %q does not name metrics:read", c.name, msg)
				}
			}
			if c.want == http.StatusOK && !bytes.Contains(r.Body, []byte("halochat_chat_starts_total")) {
				t.Errorf("%s: no halochat metrics in the answer", c.name)
			}
		}
	})
}

// TestRequestLogsCarryTheirIDAndChat: every request's log line names its
// id (answered in X-Request-Id; a sane incoming one is kept, another
// replaced) and the chat it is about.
func TestRequestLogsCarryTheirIDAndChat(t *testing.T) {
	t.Parallel()
	logs := &testenv.Logs{}
	s := loopback.Start(t, loopback.Options{Logger: logs.Logger()})
	page := s.SameOrigin()
	var start protocol.StartChatResponse
	r := page.Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: s.Demo.Profile.ID, ConfigKey: s.Demo.Profile.Key,
		HostOrigin: "http://localhost:9999"}, "X-Request-Id", "lb-7f3a.42")
	r.Expect(http.StatusCreated).Decode(&start)
	if got := r.Header.Get("X-Request-Id"); got != "lb-7f3a.42" {
		t.Errorf("X-Request-Id = %q, want the sane incoming lb-7f3a.42", got)
	}
	poll := page.Do("GET", "/chat/api/v1/chats/"+start.ChatID+"/messages?after=0", nil,
		protocol.HeaderResumeSecret, start.ResumeSecret, "X-Request-Id", "bad id\" with=quote")
	pollID := poll.Header.Get("X-Request-Id")
	if len(pollID) != 24 || strings.ContainsAny(pollID, "\" =") {
		t.Errorf("X-Request-Id for an insane incoming one = %q, want a fresh id", pollID)
	}
	out := logs.String()
	for _, want := range []string{
		`"path":"/chat/api/v1/start","status":201,"took":`,
		`"request_id":"lb-7f3a.42","chat":"` + start.ChatID + `"`,
		`"request_id":"` + pollID + `","chat":"` + start.ChatID + `"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs lack %s:\n%s", want, out)
		}
	}
}
