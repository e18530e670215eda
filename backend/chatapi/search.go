package chatapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// searchChats lists the chats of f; with a non-blank ?q= only those whose
// messages or user hold every word of it (store.SearchChats). A q the
// store refuses is a 400 naming the parameter.
func (h *Handler) searchChats(ctx context.Context, f store.ChatFilter, q url.Values) ([]store.Chat, error) {
	text := q.Get("q")
	if strings.TrimSpace(text) == "" {
		return h.cfg.Chats.Store().ListChats(ctx, f)
	}
	list, err := h.cfg.Chats.Store().SearchChats(ctx, store.ChatSearch{ChatFilter: f, Text: text})
	if se := (*store.SearchTextError)(nil); errors.As(err, &se) {
		return nil, &chats.Error{Status: http.StatusBadRequest, Code: protocol.CodeInvalidRequest, Field: "q",
			Message: "the q parameter (the search text) is refused: " + se.Problem}
	}
	return list, err
}
