// Package chatapi serves the chat runtime's HTTP API: the widget's start
// and availability calls, and the agents' REST resources for chats,
// messages and tickets (Halo's paths under /api).
package chatapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

// Config configures the handlers.
type Config struct {
	Chats  *chats.Service
	Logger *slog.Logger
	// PublicOrigin is the service's origin; see realtime.Config.
	PublicOrigin string
	// RequireAgent and AgentFrom guard the agent resources (without them
	// those are not served); RequireAgentOr lets an API client holding a
	// permission in beside agents (auth.Service.RequireAgentOr), and
	// ClientFrom names it.
	RequireAgent   func(http.Handler) http.Handler
	RequireAgentOr func(perm string, next http.Handler) http.Handler
	AgentFrom      func(context.Context) *store.Agent
	ClientFrom     func(context.Context) *store.APIClient
	// PortalUser returns the user of the request's portal session (nil
	// without one). A start marked portal with a session starts a portal
	// chat; without it (or when PortalUser is nil) an embedded one.
	PortalUser func(*http.Request) (*store.User, error)
	// MaxBodyBytes bounds a request body. Default 64 KiB.
	MaxBodyBytes int64
	// StartsPerMinute rate-limits chat starts per client address.
	// Default 30; negative: no limit.
	StartsPerMinute float64
	// ProfileStartsPerMinute rate-limits chat starts per chat profile
	// (all addresses together). Default 600; negative: no limit.
	ProfileStartsPerMinute float64
	// Now is the clock of availability; default time.Now.
	Now func() time.Time
}

// Handler serves the API.
type Handler struct {
	cfg           Config
	starts        *httpx.RateLimiter // per client address
	profileStarts *httpx.RateLimiter // per chat profile
	// Offline messages have limiters of their own at the starts' rates.
	offline        *httpx.RateLimiter // per client address
	profileOffline *httpx.RateLimiter // per chat profile
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.StartsPerMinute == 0 {
		cfg.StartsPerMinute = 30
	}
	if cfg.ProfileStartsPerMinute == 0 {
		cfg.ProfileStartsPerMinute = 600
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg, starts: httpx.PerMinute(cfg.StartsPerMinute),
		profileStarts: httpx.PerMinute(cfg.ProfileStartsPerMinute),
		offline:       httpx.PerMinute(cfg.StartsPerMinute), profileOffline: httpx.PerMinute(cfg.ProfileStartsPerMinute)}
}

// Mount adds the routes to mux.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("POST /chat/api/v1/start", h.start)
	mux.HandleFunc("GET /chat/api/v1/availability", h.availability)
	mux.HandleFunc("GET /chat/api/v1/availability.js", h.availabilityScript)
	mux.HandleFunc("POST /chat/api/v1/offline", h.leaveMessage)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/upgrade", h.upgrade)
	h.mountAttachments(mux)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/rating", h.rate)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/transcript", h.mailTranscript)
	if h.cfg.RequireAgent == nil || h.cfg.RequireAgentOr == nil || h.cfg.AgentFrom == nil {
		return
	}
	h.mountREST(mux)
}

// fail answers err: a refusal of the chats service with its status,
// anything else as a logged internal error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Fail(w, r, h.cfg.Logger, chats.Public(err))
}

// admitWidget admits a widget call that creates something on a chat
// profile (what: "chat starts", "offline messages"): it must come from the
// service's own origin (the widget) and stay within the per-address
// limit, then its body is decoded into req and the per-profile limit of
// the profile configID names is checked. False: refused and answered.
func (h *Handler) admitWidget(w http.ResponseWriter, r *http.Request, what string, perAddress, perProfile *httpx.RateLimiter,
	req any, configID func() string) bool {
	if !httpx.SameOrigin(r, h.cfg.PublicOrigin) {
		h.fail(w, r, &protocol.APIError{Code: protocol.CodeOriginNotAllowed,
			Message: what + " must come from the chat service's own origin (the widget)"})
		return false
	}
	if ok, wait := perAddress.Allow(httpx.ClientKey(r)); !ok {
		httpx.WriteRateLimited(w, wait, "too many "+what+" from this address")
		return false
	}
	if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, req) {
		return false
	}
	if ok, wait := perProfile.Allow(configID()); !ok {
		httpx.WriteRateLimited(w, wait, "too many "+what+" for this chat profile")
		return false
	}
	return true
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	var req protocol.StartChatRequest
	if !h.admitWidget(w, r, "chat starts", h.starts, h.profileStarts, &req, func() string { return req.ConfigID }) {
		return
	}
	start := chats.StartRequest{StartChatRequest: req, Context: store.ContextEmbedded, AcceptLanguage: r.Header.Get("Accept-Language")}
	// A portal start comes from the portal page: the service's own
	// origin hosts the widget (the SameSite=Lax cookie keeps other sites'
	// pages out as well).
	if req.Portal && h.cfg.PortalUser != nil && protocol.NormalizeOrigin(req.HostOrigin) == httpx.OwnOrigin(r, h.cfg.PublicOrigin) {
		u, err := h.cfg.PortalUser(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if u != nil {
			start.Context, start.User = store.ContextPortal, u
		}
	}
	resp, err := h.cfg.Chats.Start(r.Context(), start)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.SetChatID(r.Context(), resp.ChatID)
	status := http.StatusCreated
	if resp.Resumed {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, resp)
}

// leaveMessage logs the leave-a-message form's ticket. Like a start it
// must come from the widget (the service's own origin) and is limited per
// client address and per chat profile, at the starts' rates.
func (h *Handler) leaveMessage(w http.ResponseWriter, r *http.Request) {
	var req protocol.OfflineMessageRequest
	if !h.admitWidget(w, r, "offline messages", h.offline, h.profileOffline, &req, func() string { return req.ConfigID }) {
		return
	}
	t, err := h.cfg.Chats.LeaveMessage(r.Context(), req, r.Header.Get("Accept-Language"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, protocol.OfflineMessageResponse{TicketID: t.ID})
}

// visitorChat is the chat of the path's {id} that a visitor's call
// (what) names, proved by its resume secret and made from the service's
// own origin (the widget); otherwise it answers the refusal and is false.
func (h *Handler) visitorChat(w http.ResponseWriter, r *http.Request, what string) (*store.Chat, bool) {
	if !httpx.SameOrigin(r, h.cfg.PublicOrigin) {
		h.fail(w, r, &protocol.APIError{Code: protocol.CodeOriginNotAllowed,
			Message: what + " must come from the chat service's own origin (the widget)"})
		return nil, false
	}
	c, err := h.cfg.Chats.Verify(r.Context(), r.PathValue("id"), r.Header.Get(protocol.HeaderResumeSecret))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return c, true
}

// visitorJSON serves a visitor's JSON call on their chat (what names
// such calls in refusals): the chat proved by its resume secret
// (visitorChat), the body decoded into a Req, and do's status and body
// the answer.
func visitorJSON[Req any](h *Handler, what string, do func(*http.Request, *store.Chat, Req) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := h.visitorChat(w, r, what)
		if !ok {
			return
		}
		var req Req
		if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, &req) {
			return
		}
		status, body, err := do(r, c, req)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, status, body)
	}
}

// upgrade signs the browser's anonymous chat in as the token's user
// (upgradeAnonChat). The chat is proved by its resume secret.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request) {
	visitorJSON(h, "chat upgrades", func(r *http.Request, c *store.Chat, req protocol.UpgradeRequest) (int, any, error) {
		st, err := h.cfg.Chats.Upgrade(r.Context(), c, req.IDToken)
		return http.StatusOK, st, err
	})(w, r)
}

// availability answers whether a profile can take a chat now (the
// widget asks).
func (h *Handler) availability(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	av, err := h.lookAvailability(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WritePublicJSON(w, http.StatusOK, av, 30*time.Second)
}

// availabilityScript is availability for the loader on the host page,
// which reports the initialized event itself until the visitor shows
// intent (docs/CONTRACT.md#boot-on-intent). It answers a script that
// hangs the answer on the script element that loaded it
// (document.currentScript.halochat: the availability, or {"error": …}):
// a host page that runs the loader allows the service's scripts, but
// not always its fetches (connect-src), and the loader defines no
// global. Refusals are answered 200 too (a browser runs no script
// answered otherwise), uncached.
func (h *Handler) availabilityScript(w http.ResponseWriter, r *http.Request) {
	var v any
	av, err := h.lookAvailability(r)
	if err != nil {
		e := protocol.RefusalOf(chats.Public(err))
		if e.Code == protocol.CodeInternal {
			h.cfg.Logger.ErrorContext(r.Context(), "availability for the loader", "err", err)
		}
		v = protocol.ErrorBody{Error: *e}
		w.Header().Set("Cache-Control", "no-store")
	} else {
		v = av
		w.Header().Set("Cache-Control", "public, max-age=30")
	}
	b, err := json.Marshal(v) // escapes <, >, &, U+2028 and U+2029
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = fmt.Fprintf(w, "document.currentScript.halochat=%s;\n", b)
}

// lookAvailability reads a profile's availability for the query of r:
// ?configId=, and the loader's ?config= (the page's haloChatConfig) and
// ?initialize= (an initialize event's detail) as JSON, checked as the
// widget checks them so that the page hears the same refusal from either;
// the detail's configId names the profile.
func (h *Handler) lookAvailability(r *http.Request) (*protocol.Availability, error) {
	q := r.URL.Query()
	id := q.Get("configId")
	if raw := q.Get("config"); raw != "" {
		cfg, err := protocol.ParseConfig([]byte(raw))
		if err != nil {
			var ce *protocol.ConfigError
			field := "config"
			if errors.As(err, &ce) && ce.Field != "" {
				field = "config." + ce.Field
			}
			return nil, &protocol.APIError{Code: protocol.CodeInvalidConfig, Field: field, Message: err.Error()}
		}
		if id == "" {
			id = cfg.ConfigID
		}
	}
	if raw := q.Get("initialize"); raw != "" {
		ev, err := protocol.ParseInbound(protocol.EventInitialize, []byte(raw))
		if err != nil {
			return nil, &protocol.APIError{Code: protocol.CodeInvalidEvent, Field: "initialize", Message: err.Error()}
		}
		if ev.Initialize.ConfigID != "" {
			id = ev.Initialize.ConfigID
		}
	}
	if id == "" {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "configId",
			Message: "the configId query parameter is missing"}
	}
	return h.cfg.Chats.Availability(r.Context(), id, h.cfg.Now())
}

// listChats serves GET /api/Chat, with Halo's parameter names beside
// ours (chatprofile_id, page_no, page_size) and its ticket_id.
func (h *Handler) listChats(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	f := store.ChatFilter{Page: q.page(), Status: q.str("status"), ProfileID: q.str("profile_id", "chatprofile_id"),
		UserID: q.int("user_id"), AgentID: q.int("agent_id"), TicketID: q.int("ticket_id")}
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	// With a non-blank ?q= only the chats whose messages or user hold
	// every word of it.
	out, err := h.cfg.Chats.ListChats(r.Context(), store.ChatSearch{ChatFilter: f, Text: q.str("q")}, h.reader(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, protocol.ChatList{Chats: out})
}

func (h *Handler) getChat(w http.ResponseWriter, r *http.Request) {
	c, msgs, err := h.cfg.Chats.Transcript(r.Context(), r.PathValue("id"), 0, h.reader(r))
	st, ok := h.stateOf(w, r, c, err)
	if !ok {
		return
	}
	rating, err := h.cfg.Chats.Rating(r.Context(), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, protocol.ChatTranscript{Chat: *st, Messages: msgs, Rating: rating})
}

// stateOf is the state of the chat c a chats call answered with err; on
// an error, either that one or the state's, it answers it and is false.
func (h *Handler) stateOf(w http.ResponseWriter, r *http.Request, c *store.Chat, err error) (*protocol.ChatState, bool) {
	if err == nil {
		var st *protocol.ChatState
		if st, err = h.cfg.Chats.State(r.Context(), c); err == nil {
			return st, true
		}
	}
	h.fail(w, r, err)
	return nil, false
}

func (h *Handler) acceptChat(w http.ResponseWriter, r *http.Request) {
	a := h.cfg.AgentFrom(r.Context())
	c, err := h.cfg.Chats.Accept(r.Context(), r.PathValue("id"), a)
	if err == nil {
		h.cfg.Chats.SeenThroughAPI(r.Context(), a)
	}
	if st, ok := h.stateOf(w, r, c, err); ok {
		httpx.WriteJSON(w, http.StatusOK, st)
	}
}

// transferChat hands the agent's live chat to another agent or a team.
func (h *Handler) transferChat(w http.ResponseWriter, r *http.Request) {
	var req protocol.TransferRequest
	if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, &req) {
		return
	}
	c, err := h.cfg.Chats.Transfer(r.Context(), r.PathValue("id"), h.cfg.AgentFrom(r.Context()), req)
	if st, ok := h.stateOf(w, r, c, err); ok {
		httpx.WriteJSON(w, http.StatusOK, st)
	}
}

// transferTargets lists whom the agent may hand a chat to.
func (h *Handler) transferTargets(w http.ResponseWriter, r *http.Request) {
	tt, err := h.cfg.Chats.TransferTargets(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, tt)
}

// endChat ends a chat: as its agent, or as an API client (reason "api").
func (h *Handler) endChat(w http.ResponseWriter, r *http.Request) {
	var err error
	if rd := h.reader(r); rd.Client != nil {
		err = h.cfg.Chats.ClientEnd(r.Context(), r.PathValue("id"), rd.Client)
	} else {
		err = h.cfg.Chats.AgentEnd(r.Context(), r.PathValue("id"), rd.Agent)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) isTyping(w http.ResponseWriter, r *http.Request) {
	var req protocol.AgentTyping
	if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, &req) {
		return
	}
	if _, err := h.cfg.Chats.AgentChat(r.Context(), req.ChatID, h.cfg.AgentFrom(r.Context())); err != nil {
		h.fail(w, r, err)
		return
	}
	h.cfg.Chats.PublishTyping(req.ChatID, protocol.FromAgent, req.Typing)
	w.WriteHeader(http.StatusNoContent)
}
