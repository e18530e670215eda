// Package chatapi serves the chat runtime's HTTP API: the widget's start
// and availability calls, and the agents' REST resources for chats,
// messages and tickets (Halo's paths under /api).
package chatapi

import (
	"context"
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
	mux.HandleFunc("POST /chat/api/v1/offline", h.leaveMessage)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/upgrade", h.upgrade)
	h.mountAttachments(mux)
	mux.HandleFunc("POST /chat/api/v1/chats/{id}/rating", h.rate)
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
	t, err := h.cfg.Chats.LeaveMessage(r.Context(), req)
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

// upgrade signs the browser's anonymous chat in as the token's user
// (upgradeAnonChat). The chat is proved by its resume secret.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request) {
	c, ok := h.visitorChat(w, r, "chat upgrades")
	if !ok {
		return
	}
	var req protocol.UpgradeRequest
	if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, &req) {
		return
	}
	st, err := h.cfg.Chats.Upgrade(r.Context(), c, req.IDToken)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, st)
}

func (h *Handler) availability(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("configId")
	if id == "" {
		h.fail(w, r, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "configId",
			Message: "the configId query parameter is missing"})
		return
	}
	av, err := h.cfg.Chats.Availability(r.Context(), id, h.cfg.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	httpx.WritePublicJSON(w, http.StatusOK, av, 30*time.Second)
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
	c, err := h.cfg.Chats.Accept(r.Context(), r.PathValue("id"), h.cfg.AgentFrom(r.Context()))
	if st, ok := h.stateOf(w, r, c, err); ok {
		httpx.WriteJSON(w, http.StatusOK, st)
	}
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
