package chatapi

import (
	"net/http"

	"halochat/backend/httpx"
)

// chatDetails serves GET /api/Chat/{id}/details (chats.Service.Details).
// Agents who may read the chat and API clients with chats:read bound to
// its profile: the chat custom field values must never reach the
// visitor's side.
func (h *Handler) chatDetails(w http.ResponseWriter, r *http.Request) {
	d, err := h.cfg.Chats.Details(r.Context(), r.PathValue("id"), h.reader(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, d)
}
