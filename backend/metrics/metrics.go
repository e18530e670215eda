// Package metrics holds what one service instance counts for Prometheus:
// its sockets, chat starts and messages by outcome, how long a message
// takes to commit, the agents' queue, webhook deliveries, rate-limit
// refusals, the database pools and Go's runtime. Each Service has a
// registry of its own (never Prometheus's global one), so that two
// instances in one process — the tests' nodes — count apart.
//
// Recording is cheap on the message path: every counter and histogram a
// message touches is resolved once, here, so that a message costs a few
// atomic additions and no map look-up or allocation. A nil *Metrics
// records nothing, so packages used without a service (their own tests)
// need no stand-in.
package metrics

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"halochat/app/protocol"
)

// Outcomes of a chat start and of a message.
const (
	// Started: a new chat; Resumed: the browser's (or the user's) open
	// chat was answered instead.
	Started = "started"
	Resumed = "resumed"
	// Stored: committed and acknowledged; Duplicate: a resend of a
	// stored message, acknowledged again.
	Stored    = "stored"
	Duplicate = "duplicate"
	// Refused: the caller's mistake or a rule (a protocol.APIError:
	// 4xx); Failed: the service's (a storage error: 5xx).
	Refused = "refused"
	Failed  = "failed"
)

// Senders of a message.
const (
	Visitor = "visitor"
	Agent   = "agent"
)

// Snapshot is what the database says at a scrape: counts that no node
// alone knows.
type Snapshot struct {
	// OpenChats counts the chats not ended by status (bot, queued, live).
	OpenChats map[string]int64
	// OldestQueued is when the chat waiting longest in the queue was
	// queued; zero: none waits.
	OldestQueued time.Time
	// WebhookPending counts the webhook deliveries not yet delivered or
	// given up; OldestPending is when the oldest of them was created.
	WebhookPending int64
	OldestPending  time.Time
	// MailPending counts the mails of the outbox not yet sent or given
	// up; OldestMail is when the oldest of them was queued.
	MailPending int64
	OldestMail  time.Time
}

// Source reads a Snapshot (the store).
type Source interface {
	MetricsSnapshot(ctx context.Context) (Snapshot, error)
}

// Options configure New.
type Options struct {
	// Source answers the database's counts at each scrape; nil leaves
	// them out.
	Source Source
	// DBs are the database pools, by name ("main", "append"), whose
	// sql.DBStats are exported.
	DBs    map[string]*sql.DB
	Logger *slog.Logger
	// Now is the clock of the queue's and the backlog's ages; default
	// time.Now.
	Now func() time.Time
}

// Metrics is one service instance's metrics.
type Metrics struct {
	reg *prometheus.Registry

	visitorSockets, agentSockets prometheus.Gauge

	starts   map[string]prometheus.Counter
	messages map[string]map[string]prometheus.Counter // sender → outcome
	commit   map[string]prometheus.Observer           // sender → commit latency

	queueWait prometheus.Histogram

	webhookAttempts map[string]prometheus.Counter // delivered, retry, failed
	rateLimited     *prometheus.CounterVec

	mailsQueued  *prometheus.CounterVec // kind
	mailAttempts *prometheus.CounterVec // kind, outcome
}

// Webhook and mail attempt outcomes.
const (
	Delivered = "delivered"
	Retry     = "retry"
	GaveUp    = "failed"
)

// Kinds of mail (store.Mail*), the label of the mail metrics.
const (
	MailTranscript   = "transcript"
	MailNotification = "notification"
)

// New returns an instance's metrics, registered on a registry of its own
// with Go's runtime, the process and the database pools.
func New(o Options) *Metrics {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	sockets := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "halochat_sockets_open",
		Help: "Websockets open on this node, by side (visitor, agent)."}, []string{"side"})
	m.visitorSockets, m.agentSockets = sockets.WithLabelValues(Visitor), sockets.WithLabelValues(Agent)

	starts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halochat_chat_starts_total",
		Help: "Chat starts answered by this node, by outcome (started, resumed, refused, failed)."}, []string{"outcome"})
	m.starts = resolve(starts, Started, Resumed, Refused, Failed)

	messages := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halochat_messages_total",
		Help: "Messages sent by visitors and agents through this node, by sender and outcome (stored, duplicate, refused, failed)."},
		[]string{"sender", "outcome"})
	commit := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "halochat_message_commit_seconds",
		Help: "From a message's arrival to its acknowledgement, committed (stored messages only), by sender.",
		// 0.5 ms to ~4 s: a SQLite commit is under a millisecond, a
		// PostgreSQL batch a few, a stalled database seconds.
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"sender"})
	m.messages, m.commit = map[string]map[string]prometheus.Counter{}, map[string]prometheus.Observer{}
	for _, sender := range []string{Visitor, Agent} {
		m.messages[sender] = map[string]prometheus.Counter{}
		for _, outcome := range []string{Stored, Duplicate, Refused, Failed} {
			m.messages[sender][outcome] = messages.WithLabelValues(sender, outcome)
		}
		m.commit[sender] = commit.WithLabelValues(sender)
	}

	m.queueWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "halochat_queue_wait_seconds",
		Help:    "How long chats accepted on this node waited in the agents' queue.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600}})
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halochat_webhook_attempts_total",
		Help: "Webhook delivery attempts by this node, by outcome (delivered, retry: failed and to be retried, failed: given up)."},
		[]string{"outcome"})
	m.webhookAttempts = resolve(attempts, Delivered, Retry, GaveUp)
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halochat_rate_limited_total",
		Help: "Requests and websocket messages refused by an abuse limit, by route (the HTTP route's pattern, or \"websocket message\")."},
		[]string{"route"})

	m.mailsQueued = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halochat_mails_queued_total",
		Help: "Mails queued in the outbox by this node, by kind (transcript: to a visitor who asked; notification: a new ticket, to its profile's address)."},
		[]string{"kind"})
	m.mailAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halochat_mail_attempts_total",
		Help: "Attempts by this node to hand a mail to the SMTP server, by kind and outcome (delivered, retry: refused or unanswered and to be retried, failed: given up)."},
		[]string{"kind", "outcome"})
	for _, kind := range []string{MailTranscript, MailNotification} {
		m.mailsQueued.WithLabelValues(kind)
		for _, outcome := range []string{Delivered, Retry, GaveUp} {
			m.mailAttempts.WithLabelValues(kind, outcome)
		}
	}

	reg.MustRegister(sockets, starts, messages, commit, m.queueWait, attempts, m.rateLimited, m.mailsQueued, m.mailAttempts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, db := range o.DBs {
		if db != nil {
			reg.MustRegister(collectors.NewDBStatsCollector(db, name))
		}
	}
	if o.Source != nil {
		reg.MustRegister(&dbCollector{src: o.Source, log: o.Logger, now: o.Now})
	}
	return m
}

func resolve(v *prometheus.CounterVec, values ...string) map[string]prometheus.Counter {
	m := make(map[string]prometheus.Counter, len(values))
	for _, x := range values {
		m[x] = v.WithLabelValues(x)
	}
	return m
}

// Registry is the instance's registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus's text format (or
// OpenMetrics, when asked).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// SocketOpened counts a websocket of side (Visitor or Agent) open until
// the function it returns is called.
func (m *Metrics) SocketOpened(side string) (closed func()) {
	if m == nil {
		return func() {}
	}
	g := m.visitorSockets
	if side == Agent {
		g = m.agentSockets
	}
	g.Inc()
	return g.Dec
}

// ChatStart counts a chat start's outcome.
func (m *Metrics) ChatStart(resumed bool, err error) {
	if m == nil {
		return
	}
	outcome := Started
	switch {
	case err != nil:
		outcome = outcomeOf(err)
	case resumed:
		outcome = Resumed
	}
	m.starts[outcome].Inc()
}

// Message counts a message of sender that arrived at start, with what
// became of it: its acknowledgement (duplicate or not) or the error.
func (m *Metrics) Message(sender string, start time.Time, duplicate bool, err error) {
	if m == nil {
		return
	}
	byOutcome, ok := m.messages[sender]
	if !ok {
		return
	}
	switch {
	case err != nil:
		byOutcome[outcomeOf(err)].Inc()
	case duplicate:
		byOutcome[Duplicate].Inc()
	default:
		byOutcome[Stored].Inc()
		m.commit[sender].Observe(time.Since(start).Seconds())
	}
}

// QueueWait records how long an accepted chat waited in the queue.
func (m *Metrics) QueueWait(d time.Duration) {
	if m == nil || d < 0 {
		return
	}
	m.queueWait.Observe(d.Seconds())
}

// WebhookAttempt counts a delivery attempt's outcome (Delivered, Retry,
// GaveUp).
func (m *Metrics) WebhookAttempt(outcome string) {
	if m == nil {
		return
	}
	if c, ok := m.webhookAttempts[outcome]; ok {
		c.Inc()
	}
}

// MailQueued counts a mail of kind (MailTranscript, MailNotification)
// queued in the outbox.
func (m *Metrics) MailQueued(kind string) {
	if m == nil {
		return
	}
	m.mailsQueued.WithLabelValues(kind).Inc()
}

// MailAttempt counts an attempt to send a mail of kind, by its outcome
// (Delivered, Retry, GaveUp).
func (m *Metrics) MailAttempt(kind, outcome string) {
	if m == nil {
		return
	}
	m.mailAttempts.WithLabelValues(kind, outcome).Inc()
}

// RateLimited counts a refusal by an abuse limit on route.
func (m *Metrics) RateLimited(route string) {
	if m == nil {
		return
	}
	if route == "" {
		route = "other"
	}
	m.rateLimited.WithLabelValues(route).Inc()
}

// outcomeOf tells a refusal (the caller's mistake or a rule) from a
// failure of the service.
func outcomeOf(err error) string {
	var ae *protocol.APIError
	if errors.As(err, &ae) && ae.Code != protocol.CodeInternal {
		return Refused
	}
	return Failed
}
