package chatapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

// maxPostedMessages bounds an array POST /api/ChatMessage.
const maxPostedMessages = 100

// listMessages serves GET /api/ChatMessage?chat_id=&after= — or Halo's
// ?chat_id=&last_id=&max_id=: the messages after last_id, up to max_id.
func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	chatID, after, upTo := q.str("chat_id"), q.int("after", "last_id"), q.int("max_id")
	if q.err == nil && chatID == "" {
		q.fail("chat_id", "the chat's id is required")
	}
	if q.err != nil {
		h.fail(w, r, q.err)
		return
	}
	if q.v.Has("max_id") && upTo <= after {
		upTo = -1 // nothing lies after last_id up to max_id
	}
	_, msgs, err := h.cfg.Chats.TranscriptRange(r.Context(), chatID, after, max(upTo, 0), h.reader(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if upTo < 0 {
		msgs = msgs[:0]
	}
	httpx.WriteJSON(w, http.StatusOK, protocol.MessageList{Messages: msgs})
}

// postMessage serves POST /api/ChatMessage: one message (answered with
// an Ack), or Halo's array of them (answered with one PostedMessage
// each, in order).
func (h *Handler) postMessage(w http.ResponseWriter, r *http.Request) {
	data, err := httpx.ReadBody(w, r, h.cfg.MaxBodyBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("[")) {
		h.postMessages(w, r, data)
		return
	}
	var req protocol.AgentMessage
	if err := httpx.DecodeJSON(data, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ack, err := h.post(r, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, ack)
}

// postMessages posts an array of messages in order. Every item is
// checked before any is stored (a refusal names its index, as
// "[2].text: …", and stores nothing); one that fails while they are
// stored (its chat ended meanwhile) is answered naming its index, those
// before it having been stored.
func (h *Handler) postMessages(w http.ResponseWriter, r *http.Request, data []byte) {
	var raws []json.RawMessage
	if err := httpx.DecodeJSON(data, &raws); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(raws) == 0 || len(raws) > maxPostedMessages {
		h.fail(w, r, &protocol.APIError{Code: protocol.CodeInvalidRequest,
			Message: fmt.Sprintf("an array of 1 to %d messages is expected, not %d", maxPostedMessages, len(raws))})
		return
	}
	reqs := make([]protocol.AgentMessage, len(raws))
	for i, raw := range raws {
		err := httpx.DecodeJSON(raw, &reqs[i])
		if err == nil {
			err = h.checkPost(r, reqs[i])
		}
		if err != nil {
			h.fail(w, r, atIndex(i, err, ""))
			return
		}
	}
	out := make([]protocol.PostedMessage, 0, len(reqs))
	for i, req := range reqs {
		ack, err := h.post(r, req)
		if err != nil {
			h.fail(w, r, atIndex(i, err, fmt.Sprintf(" (the %d before it were stored)", i)))
			return
		}
		out = append(out, protocol.PostedMessage{ChatID: req.ChatID, Ack: ack})
	}
	httpx.WriteJSON(w, http.StatusCreated, out)
}

// checkPost checks that the caller may post req, storing nothing.
func (h *Handler) checkPost(r *http.Request, req protocol.AgentMessage) error {
	ctx := r.Context()
	rd := h.reader(r)
	if req.Internal {
		_, err := h.noteAuthor(ctx, rd, req.AgentID)
		return err // the note's own checks come as it is stored
	}
	if rd.Client == nil {
		if err := noAgentID(req.AgentID); err != nil {
			return err
		}
		_, err := h.cfg.Chats.AgentChat(ctx, req.ChatID, rd.Agent)
		return err
	}
	p, err := h.poster(ctx, rd, req.AgentID)
	if err != nil {
		return err
	}
	return h.cfg.Chats.CheckClientPost(ctx, req.ChatID, p, protocol.SendRequest{ClientMsgID: req.ClientMsgID, Text: req.Text})
}

// post stores req as the caller's message.
func (h *Handler) post(r *http.Request, req protocol.AgentMessage) (protocol.Ack, error) {
	ctx := r.Context()
	send := protocol.SendRequest{ClientMsgID: req.ClientMsgID, Text: req.Text}
	rd := h.reader(r)
	if req.Internal {
		a, err := h.noteAuthor(ctx, rd, req.AgentID)
		if err != nil {
			return protocol.Ack{}, err
		}
		return h.cfg.Chats.AddNote(ctx, req.ChatID, a, send)
	}
	ack, by, err := h.postAs(ctx, rd, req.ChatID, req.AgentID, send)
	if err == nil {
		// An agent working through the API is seen (chats.SeenThroughAPI).
		h.cfg.Chats.SeenThroughAPI(ctx, by)
	}
	return ack, err
}

// postAs stores a message in chat id as the caller's (or, for an API client,
// agent agentID's or the bot's) and says which agent sent it (nil: the bot).
func (h *Handler) postAs(ctx context.Context, rd chats.Reader, id string, agentID int64, send protocol.SendRequest) (protocol.Ack, *store.Agent, error) {
	if rd.Client == nil {
		if err := noAgentID(agentID); err != nil {
			return protocol.Ack{}, nil, err
		}
		ack, err := h.cfg.Chats.AgentSend(ctx, id, rd.Agent, "", send) // the request checked the session
		return ack, rd.Agent, err
	}
	p, err := h.poster(ctx, rd, agentID)
	if err != nil {
		return protocol.Ack{}, nil, err
	}
	ack, err := h.cfg.Chats.ClientSend(ctx, id, p, send)
	return ack, p.Agent, err
}

// poster is who an API client's message is from: agent agentID, or (0)
// the bot under the client's name.
func (h *Handler) poster(ctx context.Context, rd chats.Reader, agentID int64) (chats.Poster, error) {
	p := chats.Poster{Client: rd.Client}
	if agentID != 0 {
		a, err := h.cfg.Chats.PosterAgent(ctx, agentID, "agent_id")
		if err != nil {
			return p, err
		}
		p.Agent = a
	}
	return p, nil
}

// noteAuthor is the agent an internal note is from: the agent session's,
// or for an API client the agent agentID names (required).
func (h *Handler) noteAuthor(ctx context.Context, rd chats.Reader, agentID int64) (*store.Agent, error) {
	if rd.Client == nil {
		return rd.Agent, noAgentID(agentID)
	}
	if agentID == 0 {
		return nil, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agent_id",
			Message: "agent_id: an API client's internal note is an agent's: name the agent"}
	}
	return h.cfg.Chats.PosterAgent(ctx, agentID, "agent_id")
}

// noAgentID refuses agent_id from an agent session: an agent posts as
// itself.
func noAgentID(agentID int64) error {
	if agentID == 0 {
		return nil
	}
	return &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "agent_id",
		Message: "agent_id: an agent posts as itself (agent_id is for API clients)"}
}

// atIndex is err as the refusal of item i of an array body: its field
// (and message) prefixed with [i]; note is added to the message.
func atIndex(i int, err error, note string) error {
	var e *protocol.APIError
	if !errors.As(err, &e) {
		return fmt.Errorf("message [%d]: %w", i, err)
	}
	out := *e
	out.Field = fmt.Sprintf("[%d]", i)
	msg := e.Message
	if e.Field != "" {
		out.Field += "." + e.Field
		msg = strings.TrimPrefix(msg, e.Field+": ")
	} else if field, rest, ok := strings.Cut(msg, ": "); ok && !strings.Contains(field, " ") {
		out.Field += "." + field // a decoding refusal names its field in its message
		msg = rest
	}
	out.Message = out.Field + ": " + msg + note
	return &out
}
