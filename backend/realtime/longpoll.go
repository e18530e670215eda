package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// The long-poll transport of chatMode "heartbeat": the same guarantees as
// the websocket (messages after a seq, in order; sends idempotent by
// client message id), over plain HTTP requests.

// pollChat checks the origin and the resume secret.
func (s *Server) pollChat(w http.ResponseWriter, r *http.Request) (*store.Chat, bool) {
	if !SameOrigin(r, s.cfg.PublicOrigin) {
		s.refuse(w, http.StatusForbidden, protocol.CodeOriginNotAllowed, "chat calls must come from the chat service's own origin")
		return nil, false
	}
	c, err := s.cfg.Chats.Verify(r.Context(), r.PathValue("id"), r.Header.Get(protocol.HeaderResumeSecret))
	if err != nil {
		WriteError(w, s.log, err)
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
	ip := ClientIP(r)
	if !s.perIP.acquire(ip) {
		WriteRateLimited(w, connRetry, "too many open connections from this address")
		return
	}
	defer s.perIP.release(ip)

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
			WriteError(w, s.log, err)
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
		WriteError(w, s.log, err)
		return
	}
	resp.Chat = *st
	writeJSON(w, http.StatusOK, resp)
}

// DecodeBody reads a JSON body of at most limit bytes into v, answering
// 413 or 400 itself (and returning false) when it cannot.
// A Content-Type other than JSON is 415 (an empty one is taken as JSON).
func DecodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeJSON(w, http.StatusUnsupportedMediaType, protocol.ErrorBody{Error: protocol.APIError{Code: "unsupported_media",
				Message: "the body must be JSON (Content-Type: application/json), not " + strconv.Quote(ct)}})
			return false
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			writeJSON(w, http.StatusBadRequest, protocol.ErrorBody{Error: protocol.APIError{Code: protocol.CodeInvalidRequest, Message: "the body could not be read"}})
			return false
		}
		writeJSON(w, http.StatusRequestEntityTooLarge, protocol.ErrorBody{Error: protocol.APIError{Code: protocol.CodeTooLarge,
			Message: "the body is larger than " + strconv.FormatInt(limit, 10) + " bytes"}})
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		writeJSON(w, http.StatusBadRequest, protocol.ErrorBody{Error: protocol.APIError{Code: protocol.CodeInvalidRequest, Message: "the body is not the expected JSON: " + err.Error()}})
		return false
	}
	return true
}

// pollSend stores a visitor message (idempotent by clientMsgId).
func (s *Server) pollSend(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pollChat(w, r)
	if !ok {
		return
	}
	var req protocol.SendRequest
	if !DecodeBody(w, r, s.lim.MaxFrameBytes, &req) {
		return
	}
	if ok, wait, why := s.allowSend(c.ID, c.ProfileID, ClientIP(r)); !ok {
		WriteRateLimited(w, wait, why)
		return
	}
	ack, err := s.cfg.Chats.Send(r.Context(), c.ID, req)
	if err != nil {
		WriteError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

func (s *Server) pollTyping(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pollChat(w, r)
	if !ok {
		return
	}
	var req protocol.TypingRequest
	if !DecodeBody(w, r, 1024, &req) {
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
	if err := s.cfg.Chats.End(r.Context(), c.ID, protocol.EndByVisitor); err != nil {
		WriteError(w, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
