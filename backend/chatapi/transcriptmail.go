package chatapi

import (
	"net/http"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// mailTranscript queues the chat's transcript in a mail to the address
// the visitor gives (POST /chat/api/v1/chats/{id}/transcript): 202, as
// the mail is sent (and retried) in the background. The chat is proved
// by its resume secret.
func (h *Handler) mailTranscript(w http.ResponseWriter, r *http.Request) {
	visitorJSON(h, "transcript mails", func(r *http.Request, c *store.Chat, req protocol.TranscriptMailRequest) (int, any, error) {
		queued, err := h.cfg.Chats.MailTranscript(r.Context(), c, req.Email)
		return http.StatusAccepted, queued, err
	})(w, r)
}
