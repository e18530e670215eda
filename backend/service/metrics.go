package service

import (
	"context"
	"net/http"

	"halochat/backend/auth"
	"halochat/backend/httpx"
	"halochat/backend/metrics"
	"halochat/backend/store"
)

// mountMetrics serves GET /metrics on the service's address: to a
// client on this machine straight away (not through a proxy:
// httpx.DirectLoopback), to anyone else only as an admin or an API
// client holding metrics:read. The figures name no person, but they tell
// an outsider how busy the desk is and when.
func mountMetrics(m *metrics.Metrics, a *auth.Service) func(*http.ServeMux) {
	return func(mux *http.ServeMux) {
		h := m.Handler()
		guarded := a.RequirePermission(store.PermMetricsRead, h)
		mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if httpx.DirectLoopback(r) {
				h.ServeHTTP(w, r)
				return
			}
			guarded.ServeHTTP(w, r)
		}))
	}
}

// opsSource reads the database's counts for the metrics.
type opsSource struct{ st *store.Store }

func (o opsSource) MetricsSnapshot(ctx context.Context) (metrics.Snapshot, error) {
	c, err := o.st.OpsCounts(ctx)
	return metrics.Snapshot{OpenChats: c.OpenChats, OldestQueued: c.OldestQueued,
		WebhookPending: c.WebhookPending, OldestPending: c.OldestPending, MailPending: c.MailPending, OldestMail: c.OldestMail}, err
}
