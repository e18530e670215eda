package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/privacy"
	"halochat/backend/store"
)

// IdentityAPI is the admin REST API (README.md#the-rest-api): chat
// profiles, custom fields, ticket types, API clients, agents, users, bot
// flows, ChatMatchingData (docs/CONTRACT.md#chat-matching-data), and the
// OpenAPI document. Mount it with Routes.
//
// Every answer is JSON; every refusal is {"error":{"code","message"}}
// with a 4xx status whose message names the field at fault. A refused
// request changes nothing stored.
type IdentityAPI struct {
	Store  *store.Store
	Auth   *auth.Service
	Logger *slog.Logger
	// Runbooks makes the runbook test calls (POST /api/Runbook/{id}/test):
	// the chat service's own client, with its outbound guard.
	Runbooks *chats.RunbookClient
	// Privacy exports and erases a user's data (/api/User/{id}/export,
	// /erase).
	Privacy *privacy.Service
	// AgentTeams, when set, lists the teams an agent is in: an agent's
	// GET /api/CannedResponse then holds those for every agent and its
	// teams' only. Unset (no teams yet), agents get every one.
	AgentTeams func(ctx context.Context, agentID int64) ([]int64, error)
}

// Body size limits.
const (
	maxAdminBody    = 256 << 10 // profiles (PEM keys), fields, types, clients, agents
	maxMatchingBody = 1 << 20   // a ChatMatchingData POST
)

// apiRoute is one endpoint: the OpenAPI document is made from this table,
// so an endpoint cannot be served without being documented.
type apiRoute struct {
	method, path string
	// access: "admin" (admin agent or API client with "admin"), or a
	// permission an API client needs.
	access  string
	summary string
	// request and response name component schemas ("" = none); a
	// leading "[]" means an array of it.
	request, response string
	status            int // success status
	handle            func(w http.ResponseWriter, r *http.Request) error
}

func (a *IdentityAPI) routes() []apiRoute {
	const admin = auth.PermAdmin
	profiles, fields, ticketTypes, clients := a.profiles(), a.fields(), a.ticketTypes(), a.clients()
	agents, users := a.agents(), a.users()
	return append([]apiRoute{
		{"GET", "/api/ChatProfile", admin, "List chat profiles (never their HS256 secrets)", "", "[]ChatProfile", 200, profiles.listAll},
		{"POST", "/api/ChatProfile", admin, "Create a chat profile (id and key are generated); the answer holds the HS256 secrets given, shown this once", "ChatProfileInput", "ChatProfile", 201, profiles.createOne},
		{"GET", "/api/ChatProfile/{id}", admin, "Get a chat profile (its HS256 secrets by kid only)", "", "ChatProfile", 200, profiles.getOne},
		{"PUT", "/api/ChatProfile/{id}", admin, "Replace a chat profile's settings (not its key); an HS256 secret left out keeps the stored one of its kid, and none is answered", "ChatProfileInput", "ChatProfile", 200, profiles.updateOne},
		{"DELETE", "/api/ChatProfile/{id}", admin, "Delete a chat profile (409 while chats refer to it)", "", "", 204, profiles.deleteOne},
		{"POST", "/api/ChatProfile/{id}/key", admin, "Regenerate the profile's key (configKey); embed snippets with the old key stop working", "", "ProfileKey", 200, a.regenerateProfileKey},
		{"POST", "/api/ChatProfile/{id}/identity/secret", admin, "Set or make a new HS256 identity secret for a kid (added when the profile has no such kid); the answer holds it, shown this once", "ProfileSecretInput", "ProfileSecret", 200, a.rotateProfileSecret},

		{"GET", "/api/CustomField", admin, "List custom fields (?entity=chat|ticket)", "", "[]CustomField", 200, fields.listAll},
		{"POST", "/api/CustomField", admin, "Create a custom field", "CustomFieldInput", "CustomField", 201, fields.createOne},
		{"GET", "/api/CustomField/{id}", admin, "Get a custom field", "", "CustomField", 200, fields.getOne},
		{"PUT", "/api/CustomField/{id}", admin, "Update a custom field (409 when renaming a chat field a flow's condition uses)", "CustomFieldInput", "CustomField", 200, fields.updateOne},
		{"DELETE", "/api/CustomField/{id}", admin, "Delete a custom field (409 when a flow's condition uses it)", "", "", 204, fields.deleteOne},

		{"GET", "/api/TicketType", admin, "List ticket types with their fields", "", "[]TicketType", 200, ticketTypes.listAll},
		{"POST", "/api/TicketType", admin, "Create a ticket type", "TicketTypeInput", "TicketType", 201, a.createTicketType},
		{"GET", "/api/TicketType/{id}", admin, "Get a ticket type", "", "TicketType", 200, ticketTypes.getOne},
		{"PUT", "/api/TicketType/{id}", admin, "Rename a ticket type and set its fields", "TicketTypeInput", "TicketType", 200, a.updateTicketType},
		{"DELETE", "/api/TicketType/{id}", admin, "Delete a ticket type (409 while profiles or tickets refer to it)", "", "", 204, ticketTypes.deleteOne},

		{"GET", "/api/APIClient", admin, "List API clients (never their secrets)", "", "[]APIClient", 200, clients.listAll},
		{"POST", "/api/APIClient", admin, "Create an API client; the answer holds its secret, shown this once", "APIClientInput", "APIClientWithSecret", 201, a.createClient},
		{"GET", "/api/APIClient/{id}", admin, "Get an API client", "", "APIClient", 200, clients.getOne},
		{"PUT", "/api/APIClient/{id}", admin, "Update an API client's name, permissions and disabled flag", "APIClientInput", "APIClient", 200, clients.updateOne},
		{"DELETE", "/api/APIClient/{id}", admin, "Delete an API client (its tokens stop working)", "", "", 204, clients.deleteOne},
		{"POST", "/api/APIClient/{id}/secret", admin, "Replace an API client's secret; the answer holds it, shown this once", "", "APIClientWithSecret", 200, a.rotateClientSecret},

		{"GET", "/api/Agent", admin, "List agents and admins", "", "[]Agent", 200, agents.listAll},
		{"POST", "/api/Agent", admin, "Create an agent or admin with a password", "AgentInput", "Agent", 201, agents.createOne},
		{"GET", "/api/Agent/{id}", admin, "Get an agent", "", "Agent", 200, agents.getOne},
		{"PUT", "/api/Agent/{id}", admin, "Update an agent (a password given is set and ends their other sessions; disabling or enabling ends them all)", "AgentInput", "Agent", 200, agents.updateOne},
		{"DELETE", "/api/Agent/{id}", admin, "Disable an agent and end their sessions (agents are kept so transcripts keep their names)", "", "Agent", 200, agents.changed(a.disableAgent)},

		{"GET", "/api/User", admin, "List users: visitors and self-service portal users (?offset=&limit=)", "", "[]User", 200, users.listAll},
		{"POST", "/api/User", admin, "Create a portal user with a password (logs in at /portal)", "UserInput", "User", 201, users.createOne},
		{"GET", "/api/User/{id}", admin, "Get a user", "", "User", 200, users.getOne},
		{"PUT", "/api/User/{id}", admin, "Update a user (a password given is set; a new password or disabling ends their portal sessions)", "UserInput", "User", 200, users.updateOne},
		{"DELETE", "/api/User/{id}", admin, "Disable a user (kept so their chats and tickets keep them; their portal sessions end)", "", "User", 200, users.changed(a.disableUser)},
		{"GET", "/api/User/{id}/export", store.PermReadModifyUsers, "Everything held about the user as one JSON document: user fields, chats with messages, custom-field values, ratings and attachments' metadata, tickets, the outbox's mails about the user, read as one snapshot (?files=1: a zip holding user.json and the files)", "", "UserExport", 200, a.exportUser},
		{"POST", "/api/User/{id}/erase", store.PermReadModifyUsers, "Erase the person's personal data in one transaction (user fields, the messages and files they wrote, their chats' custom-field values, ratings' comments, their tickets' summaries and transcripts, ChatMatchingData naming them, the outbox's mails about them or to them); chat and ticket numbers, statuses and times stay. Answers what was removed; webhook event user.erased", "", "UserErasure", 200, a.eraseUser},

		{"POST", "/api/ChatMatchingData", store.PermReadModifyUsers, "Register user data for a later chat start", "[]ChatMatchingDataInput", "[]ChatMatchingData", 201, a.createMatchingData},
	}, slices.Concat(flowRoutes(a, admin), runbookRoutes(a, admin), webhookRoutes(a, admin), auditRoutes(a, admin), cannedRoutes(a, admin), reportRoutes(a, admin), teamRoutes(a, admin))...)
}

// Routes mounts the API and GET /api/openapi.json on mux.
func (a *IdentityAPI) Routes(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		h := a.handler(rt)
		switch rt.access {
		case auth.PermAdmin:
			h = a.Auth.RequireAdmin(h)
		case accessAgent:
			h = a.Auth.RequireAgentOr(auth.PermAdmin, h)
		default:
			h = a.Auth.RequirePermission(rt.access, h)
		}
		mux.Handle(rt.method+" "+rt.path, h)
	}
	doc, err := json.Marshal(a.OpenAPI())
	if err != nil {
		panic(fmt.Sprintf("encode the OpenAPI document: %v", err)) // a programming error, caught by tests
	}
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(doc)
	})
}

// handler runs a route's function and answers its error.
func (a *IdentityAPI) handler(rt apiRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := rt.handle(w, withAudit(rt, r)); err != nil {
			a.fail(w, r, err)
		}
	})
}

// apiInvalid is an invalid_request naming the field at fault.
func apiInvalid(field, format string, args ...any) *protocol.APIError {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &protocol.APIError{Code: protocol.CodeInvalidRequest, Message: msg}
}

func apiConflict(format string, args ...any) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// named puts field in front of a refusal's message; other errors pass
// as they are.
func named(field string, err error) error {
	var ae *protocol.APIError
	if errors.As(err, &ae) {
		named := *ae
		named.Message = field + ": " + ae.Message
		return &named
	}
	return err
}

// apiForbidden is a forbidden naming the field whose value the caller
// may not use.
func apiForbidden(field, format string, args ...any) *protocol.APIError {
	e := apiInvalid(field, format, args...)
	e.Code = protocol.CodeForbidden
	return e
}

func apiNotFound(format string, args ...any) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

func apiTooLarge(format string, args ...any) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeTooLarge, Message: fmt.Sprintf(format, args...)}
}

// fail answers err: a refusal as it is, store sentinels as not_found /
// conflict / invalid_request, anything else as a logged internal error.
func (a *IdentityAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	if ae := (*protocol.APIError)(nil); !errors.As(err, &ae) {
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = apiNotFound("%v", err)
		case errors.Is(err, store.ErrConflict):
			err = apiConflict("%v", err)
		case errors.Is(err, store.ErrInvalid):
			err = apiInvalid("", "%v", err)
		}
	}
	httpx.Fail(w, r, a.Logger, err)
}

// writeOK answers v as JSON with status (204: no body).
func writeOK(w http.ResponseWriter, status int, v any) error {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	httpx.WriteJSON(w, status, v)
	return nil
}

// byPathID loads the resource the request's {id} names, or answers a 404
// naming what it looked for.
func byPathID[T any](ctx context.Context, r *http.Request, what string, get func(context.Context, int64) (*T, error)) (*T, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	v, err := get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFound("no %s with id %d", what, id)
	}
	return v, err
}

// pathID reads the {id} path parameter as a positive integer.
func pathID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, apiNotFound("no such id %q", s)
	}
	return id, nil
}

// textField checks a required or optional one-line text field.
func textField(field, v string, required bool, max int) error {
	if required && strings.TrimSpace(v) == "" {
		return apiInvalid(field, "is required")
	}
	if len([]rune(v)) > max {
		return apiInvalid(field, "is longer than %d characters", max)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return apiInvalid(field, "holds a control character")
		}
	}
	return nil
}
