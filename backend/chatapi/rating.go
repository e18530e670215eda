package chatapi

import (
	"net/http"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// rate takes the visitor's rating of their ended chat
// (POST /chat/api/v1/chats/{id}/rating): 201 for the chat's first rating,
// 200 for one that replaces it. The chat is proved by its resume secret.
func (h *Handler) rate(w http.ResponseWriter, r *http.Request) {
	visitorJSON(h, "chat ratings", func(r *http.Request, c *store.Chat, req protocol.RatingRequest) (int, any, error) {
		rating, replaced, err := h.cfg.Chats.Rate(r.Context(), c, req)
		if replaced {
			return http.StatusOK, rating, err
		}
		return http.StatusCreated, rating, err
	})(w, r)
}
