package chatapi

import (
	"net/http"

	"halochat/app/protocol"
	"halochat/backend/httpx"
)

// rate takes the visitor's rating of their ended chat
// (POST /chat/api/v1/chats/{id}/rating): 201 for the chat's first rating,
// 200 for one that replaces it. The chat is proved by its resume secret.
func (h *Handler) rate(w http.ResponseWriter, r *http.Request) {
	c, ok := h.visitorChat(w, r, "chat ratings")
	if !ok {
		return
	}
	var req protocol.RatingRequest
	if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, &req) {
		return
	}
	rating, replaced, err := h.cfg.Chats.Rate(r.Context(), c, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if replaced {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, rating)
}
