package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"halochat/app/protocol"
)

func TestMessageOutcomes(t *testing.T) {
	m := New(Options{})
	start := time.Now()
	m.Message(Visitor, start, false, nil)
	m.Message(Visitor, start, true, nil)
	m.Message(Agent, start, false, &protocol.APIError{Code: protocol.CodeChatEnded, Message: "ended"})
	m.Message(Agent, start, false, errors.New("database is locked"))
	m.ChatStart(false, nil)
	m.ChatStart(true, nil)
	m.ChatStart(false, protocol.Internal())
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"visitor stored", testutil.ToFloat64(m.messages[Visitor][Stored]), 1},
		{"visitor duplicate", testutil.ToFloat64(m.messages[Visitor][Duplicate]), 1},
		{"agent refused", testutil.ToFloat64(m.messages[Agent][Refused]), 1},
		{"agent failed", testutil.ToFloat64(m.messages[Agent][Failed]), 1},
		{"starts started", testutil.ToFloat64(m.starts[Started]), 1},
		{"starts resumed", testutil.ToFloat64(m.starts[Resumed]), 1},
		{"starts failed", testutil.ToFloat64(m.starts[Failed]), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var nilMetrics *Metrics // records nothing, and does not panic
	nilMetrics.Message(Visitor, start, false, nil)
	nilMetrics.SocketOpened(Agent)()
	nilMetrics.RateLimited("x")
}

// BenchmarkMessage is what the metrics add to a stored message: two
// counters' atomic additions and a histogram observation (a visitor's
// message takes ~0.6–3.7 ms to commit on SQLite: BenchmarkSQLiteMessageCommit).
func BenchmarkMessage(b *testing.B) {
	m := New(Options{})
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Message(Visitor, start, false, nil)
		}
	})
}

func TestMailCounts(t *testing.T) {
	m := New(Options{})
	m.MailQueued(MailTranscript)
	m.MailQueued(MailNotification)
	m.MailQueued(MailNotification)
	m.MailAttempt(MailNotification, Delivered)
	m.MailAttempt(MailTranscript, Retry)
	m.MailAttempt(MailTranscript, GaveUp)
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"transcripts queued", testutil.ToFloat64(m.mailsQueued.WithLabelValues(MailTranscript)), 1},
		{"notifications queued", testutil.ToFloat64(m.mailsQueued.WithLabelValues(MailNotification)), 2},
		{"notifications delivered", testutil.ToFloat64(m.mailAttempts.WithLabelValues(MailNotification, Delivered)), 1},
		{"transcripts to retry", testutil.ToFloat64(m.mailAttempts.WithLabelValues(MailTranscript, Retry)), 1},
		{"transcripts given up", testutil.ToFloat64(m.mailAttempts.WithLabelValues(MailTranscript, GaveUp)), 1},
		{"transcripts delivered", testutil.ToFloat64(m.mailAttempts.WithLabelValues(MailTranscript, Delivered)), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	var nilMetrics *Metrics
	nilMetrics.MailQueued(MailTranscript)
	nilMetrics.MailAttempt(MailTranscript, Delivered)
}
