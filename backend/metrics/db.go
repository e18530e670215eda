package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dbCollector reads the database's counts at each scrape: a scrape every
// few seconds costs a few indexed counts, and the message path nothing.
type dbCollector struct {
	src Source
	log *slog.Logger
	now func() time.Time
}

var (
	openChatsDesc = prometheus.NewDesc("halochat_chats_open",
		"Chats not ended, by status (bot, queued, live), in the whole database.", []string{"status"}, nil)
	queueLengthDesc = prometheus.NewDesc("halochat_queue_length",
		"Chats waiting in the agents' queue.", nil, nil)
	queueOldestDesc = prometheus.NewDesc("halochat_queue_oldest_wait_seconds",
		"How long the chat waiting longest in the queue has waited (0: none waits).", nil, nil)
	webhookBacklogDesc = prometheus.NewDesc("halochat_webhook_backlog",
		"Webhook deliveries pending (not yet delivered, not given up).", nil, nil)
	webhookOldestDesc = prometheus.NewDesc("halochat_webhook_backlog_oldest_seconds",
		"Age of the oldest pending webhook delivery (0: none pending).", nil, nil)
	mailBacklogDesc = prometheus.NewDesc("halochat_mail_backlog",
		"Mails in the outbox not yet sent (nor given up).", nil, nil)
	mailOldestDesc = prometheus.NewDesc("halochat_mail_backlog_oldest_seconds",
		"Age of the oldest mail not yet sent (0: none waits).", nil, nil)
	scrapeErrorDesc = prometheus.NewDesc("halochat_database_scrape_ok",
		"1 when the database answered this scrape's counts, 0 when it did not (they are then left out).", nil, nil)
)

// Describe sends the descriptors.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{openChatsDesc, queueLengthDesc, queueOldestDesc, webhookBacklogDesc, webhookOldestDesc,
		mailBacklogDesc, mailOldestDesc, scrapeErrorDesc} {
		ch <- d
	}
}

// Collect reads a snapshot (5 s at most) and sends it.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := c.src.MetricsSnapshot(ctx)
	if err != nil {
		c.log.Warn("metrics: read the database's counts", "err", err)
		ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, 1)
	now := c.now()
	for _, status := range []string{"bot", "queued", "live"} {
		ch <- prometheus.MustNewConstMetric(openChatsDesc, prometheus.GaugeValue, float64(snap.OpenChats[status]), status)
	}
	ch <- prometheus.MustNewConstMetric(queueLengthDesc, prometheus.GaugeValue, float64(snap.OpenChats["queued"]))
	ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, age(now, snap.OldestQueued))
	ch <- prometheus.MustNewConstMetric(webhookBacklogDesc, prometheus.GaugeValue, float64(snap.WebhookPending))
	ch <- prometheus.MustNewConstMetric(webhookOldestDesc, prometheus.GaugeValue, age(now, snap.OldestPending))
	ch <- prometheus.MustNewConstMetric(mailBacklogDesc, prometheus.GaugeValue, float64(snap.MailPending))
	ch <- prometheus.MustNewConstMetric(mailOldestDesc, prometheus.GaugeValue, age(now, snap.OldestMail))
}

func age(now, since time.Time) float64 {
	if since.IsZero() || since.After(now) {
		return 0
	}
	return now.Sub(since).Seconds()
}
