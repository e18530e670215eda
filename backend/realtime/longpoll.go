package realtime

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/httpx"
	"halochat/backend/store"
)

// The long-poll transport of chatMode "heartbeat": the same guarantees as
// the websocket (messages after a seq, in order; sends idempotent by
// client message id), over plain HTTP requests.

// pollChat checks the origin and the resume secret.
func (s *Server) pollChat(w http.ResponseWriter, r *http.Request) (*store.Chat, bool) {
	if !httpx.SameOrigin(r, s.cfg.PublicOrigin) {
		httpx.Refuse(w, protocol.CodeOriginNotAllowed, "chat calls must come from the chat service's own origin")
		return nil, false
	}
	c, err := s.cfg.Chats.Verify(r.Context(), r.PathValue("id"), r.Header.Get(protocol.HeaderResumeSecret))
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return c, true
}

// poll answers GET …/messages?after=N&wait=S with the messages after N,
// waiting up to S seconds (capped) for the first one.
func (s *Server) poll(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pollChat(w, r)
	if !ok {
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	wait := time.Duration(0)
	if v, err := strconv.ParseFloat(r.URL.Query().Get("wait"), 64); err == nil && v > 0 {
		wait = min(time.Duration(v*float64(time.Second)), s.lim.MaxPollWait)
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait+5*time.Second)
	defer cancel()
	wake := make(chan chats.Event, 1)
	unsub := s.cfg.Broker.Subscribe(chats.ChatTopic(c.ID), func(ev chats.Event) {
		select {
		case wake <- ev:
		default:
		}
	})
	defer unsub()
	resp := protocol.PollResponse{V: protocol.ProtocolVersion}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		msgs, err := s.cfg.Chats.PollMessages(ctx, c.ID, after)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(msgs) > 0 || wait == 0 {
			resp.Messages = msgs
			break
		}
		select {
		case ev := <-wake:
			if ev.Typing != nil && ev.Typing.From != protocol.FromVisitor {
				resp.Typing = ev.Typing.On
				resp.Messages = []protocol.ChatMessage{}
				goto done
			}
			continue
		case <-deadline.C:
		case <-ctx.Done():
		}
		resp.Messages = []protocol.ChatMessage{}
		break
	}
done:
	st, err := s.cfg.Chats.ChatState(ctx, c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp.Chat = *st
	httpx.WriteJSON(w, http.StatusOK, resp)
}

// pollSend stores a visitor message (idempotent by clientMsgId).
func (s *Server) pollSend(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pollChat(w, r)
	if !ok {
		return
	}
	var req protocol.SendRequest
	if !httpx.DecodeBody(w, r, s.lim.MaxFrameBytes, &req) {
		return
	}
	if ok, wait, why := s.allowSend(c.ID, c.ProfileID, httpx.ClientKey(r)); !ok {
		httpx.WriteRateLimited(w, wait, why)
		return
	}
	ack, err := s.cfg.Chats.Send(r.Context(), c.ID, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ack)
}

func (s *Server) pollTyping(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pollChat(w, r)
	if !ok {
		return
	}
	var req protocol.TypingRequest
	if !httpx.DecodeBody(w, r, 1024, &req) {
		return
	}
	if ok, _ := s.sends.Allow("typing:" + c.ID); ok {
		s.cfg.Chats.PublishTyping(c.ID, protocol.FromVisitor, req.Typing)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) pollEnd(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pollChat(w, r)
	if !ok {
		return
	}
	if err := s.cfg.Chats.VisitorEnd(r.Context(), c.ID, r.URL.Query().Get("reason")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
