package chatapi

import (
	"net/http"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
)

// startOutreach serves POST /api/Chat: a chat started for a user with a
// first message (chats.Service.StartOutreach), answered 201 with the
// chat and its transcript — 200 with the same chat for a resend.
func (h *Handler) startOutreach(w http.ResponseWriter, r *http.Request) {
	var req protocol.OutreachRequest
	if !httpx.DecodeBody(w, r, h.cfg.MaxBodyBytes, &req) {
		return
	}
	rd := h.reader(r)
	o := chats.Outreach{ProfileID: req.ChatProfileID, UserExternalID: req.UserExternalID, UserEmail: req.UserEmail,
		Text: req.Text, ClientMsgID: req.ClientMsgID, Poster: chats.Poster{Agent: rd.Agent}}
	if rd.Client != nil {
		p, err := h.poster(r.Context(), rd, req.AgentID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		o.Poster = p
	} else if err := noAgentID(req.AgentID); err != nil && req.AgentID != rd.Agent.ID {
		h.fail(w, r, err)
		return
	}
	out, created, err := h.cfg.Chats.StartOutreach(r.Context(), o, rd)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, out)
}
