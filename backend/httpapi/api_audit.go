package httpapi

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

func auditRoutes(a *IdentityAPI, admin string) []apiRoute {
	return []apiRoute{
		{"GET", "/api/AuditLog", admin, "The audit log, newest first: every change made through the admin API, who made it (agent or API client), from which address, and the changed fields (secrets as \"changed\"). ?entity=ChatProfile&entityId=&actor=agent:12|client:3&from=&to= (RFC 3339; from inclusive, to exclusive)&offset=&limit= (at most 1000)", "", "[]AuditEntry", 200, a.listAudit},
	}
}

// audited says whether a request to route rt is a change the audit log
// records: every write of the admin API (a user's erasure, by an API
// client with users:write, too) but the calls that change no setting —
// a runbook's test call, a delivery sent again — and the registration
// of ChatMatchingData, which is a chat start's data, not a setting.
func audited(rt apiRoute) bool {
	if rt.method == http.MethodGet || rt.path == "/api/ChatMatchingData" {
		return false
	}
	return !strings.HasSuffix(rt.path, "/test") && !strings.HasSuffix(rt.path, "/resend")
}

// withAudit is r with its context carrying the audit row of the change
// route rt makes (store.WithAudit): the store writes it in the change's
// transaction.
func withAudit(rt apiRoute, r *http.Request) *http.Request {
	if !audited(rt) {
		return r
	}
	entity, tail, _ := strings.Cut(strings.TrimPrefix(rt.path, "/api/"), "/")
	action := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodDelete: "delete"}[rt.method]
	if _, sub, ok := strings.Cut(tail, "{id}/"); ok {
		action = sub // key, secret, identity/secret…
	}
	e := store.AuditEntry{Address: httpx.ClientIP(r), Entity: entity, EntityID: r.PathValue("id"), Action: action}
	switch ag, cl := auth.AgentFrom(r.Context()), auth.ClientFrom(r.Context()); {
	case ag != nil:
		e.ActorType, e.ActorID, e.ActorName = store.ActorAgent, ag.ID, ag.Name
	case cl != nil:
		e.ActorType, e.ActorID, e.ActorName = store.ActorClient, cl.ID, cl.Name
	default:
		e.ActorType = store.ActorSystem
	}
	return r.WithContext(store.WithAudit(r.Context(), store.NewAudit(e)))
}

func auditJSON(e *store.AuditEntry) protocol.AuditEntry {
	changes := map[string]any(e.Changes)
	if changes == nil {
		changes = map[string]any{}
	}
	return protocol.AuditEntry{ID: e.ID, At: e.At, ActorType: e.ActorType, ActorID: e.ActorID, ActorName: e.ActorName,
		Address: e.Address, Entity: e.Entity, EntityID: e.EntityID, Action: e.Action, Changes: changes}
}

// listAudit answers GET /api/AuditLog.
func (a *IdentityAPI) listAudit(w http.ResponseWriter, r *http.Request) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	rows, err := a.Store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]protocol.AuditEntry, len(rows))
	for i := range rows {
		out[i] = auditJSON(&rows[i])
	}
	return writeOK(w, http.StatusOK, out)
}

// auditFilter reads GET /api/AuditLog's query.
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{Entity: q.Get("entity"), EntityID: q.Get("entityId")}
	for _, p := range []struct{ name, v string }{{"entity", f.Entity}, {"entityId", f.EntityID}} {
		if err := textField(p.name, p.v, false, 200); err != nil {
			return f, err
		}
	}
	if actor := q.Get("actor"); actor != "" {
		typ, id, _ := strings.Cut(actor, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if (typ != store.ActorAgent && typ != store.ActorClient) || err != nil || n <= 0 {
			return f, apiInvalid("actor", "must be agent:<id> or client:<id>, not %q", actor)
		}
		f.ActorType, f.ActorID = typ, n
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, apiInvalid(p.name, "must be an RFC 3339 time (2026-12-01T00:00:00Z), not %q", v)
			}
			*p.dst = t
		}
	}
	var err error
	f.Page, err = pageQuery(r)
	return f, err
}

// auditComponents are the audit log's schemas.
func auditComponents() []oaComponent {
	return []oaComponent{
		{"AuditEntry", reflect.TypeFor[protocol.AuditEntry](), nil, map[string]jsonObj{
			"actorType": oaOneOf("", store.ActorAgent, store.ActorClient, store.ActorSystem),
			"actorId":   oaNote("the agent's or API client's id"),
			"actorName": oaNote("their name at the time"),
			"address":   oaNote("the client's IP address (behind a trusted proxy, the one it forwarded)"),
			"entity":    oaNote("the API's name for what changed: ChatProfile, CustomField, TicketType, APIClient, Agent, User, ChatFlow, Runbook, Webhook…"),
			"action":    oaNote("create, update, delete, or the sub-resource written (key, secret, identity/secret)"),
			"changes":   oaNote(`each changed field (by column name) → {"from", "to"} ("to" alone on a create), or "changed" for a secret, whose value is never logged`),
		}},
	}
}
