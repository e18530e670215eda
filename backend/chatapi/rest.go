package chatapi

import (
	"net/http"

	"halochat/backend/chats"
	"halochat/backend/store"
)

// reader is who calls the REST API: the API client, or the agent.
func (h *Handler) reader(r *http.Request) chats.Reader {
	if h.cfg.ClientFrom != nil {
		if c := h.cfg.ClientFrom(r.Context()); c != nil {
			return chats.ClientReader(c)
		}
	}
	return chats.AgentReader(h.cfg.AgentFrom(r.Context()))
}

// mountREST adds the REST resources for agents and API clients: an
// agent session reaches each (with its own rules: agentChatVisibility,
// and writing to its own live chats), an API client the ones its
// permissions open (403 naming the one it lacks), on the chat profiles
// it is bound to.
func (h *Handler) mountREST(mux *http.ServeMux) {
	agent := func(f http.HandlerFunc) http.Handler { return h.cfg.RequireAgent(f) }
	or := func(perm string, f http.HandlerFunc) http.Handler { return h.cfg.RequireAgentOr(perm, f) }
	mux.Handle("GET /api/Chat", or(store.PermChatsRead, h.listChats))
	mux.Handle("POST /api/Chat", or(store.PermChatsWrite, h.startOutreach))
	mux.Handle("GET /api/Chat/{id}", or(store.PermChatsRead, h.getChat))
	mux.Handle("GET /api/Chat/{id}/details", or(store.PermChatsRead, h.chatDetails))
	mux.Handle("POST /api/Chat/{id}/accept", agent(h.acceptChat))
	mux.Handle("POST /api/Chat/{id}/transfer", agent(h.transferChat))
	mux.Handle("GET /api/TransferTargets", agent(h.transferTargets))
	mux.Handle("POST /api/Chat/{id}/end", or(store.PermChatsWrite, h.endChat))
	mux.Handle("GET /api/ChatMessage", or(store.PermChatsRead, h.listMessages))
	mux.Handle("POST /api/ChatMessage", or(store.PermChatsWrite, h.postMessage))
	mux.Handle("POST /api/ChatMessage/IsTyping", agent(h.isTyping))
	h.mountAgentAttachments(mux)
	mux.Handle("GET /api/Tickets", or(store.PermTicketsRead, h.listTickets))
	mux.Handle("GET /api/Tickets/{id}", or(store.PermTicketsRead, h.getTicket))
	mux.Handle("PUT /api/Tickets/{id}", or(store.PermTicketsWrite, h.updateTicket))
}
