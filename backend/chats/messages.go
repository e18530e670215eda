package chats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// moveAttempts bounds the retries of a change that lost a race on the
// chat's flow state to another node.
const moveAttempts = 5

func (s *Service) checkText(text string) error {
	if len(text) > s.maxLen {
		return &protocol.APIError{Code: protocol.CodeTooLarge, Field: "text",
			Message: fmt.Sprintf("a message may hold at most %d bytes", s.maxLen)}
	}
	if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
		return &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text", Message: "the text is not valid UTF-8 text"}
	}
	return nil
}

// Send stores a visitor's message in chat c (already verified by its
// resume secret) and, while the bot waits for an answer or a choice,
// runs the flow with it. A resend with the same client message id is
// acknowledged again (Duplicate) and changes nothing.
func (s *Service) Send(ctx context.Context, chatID string, req protocol.SendRequest) (protocol.Ack, error) {
	ack := protocol.Ack{V: protocol.ProtocolVersion, ClientMsgID: req.ClientMsgID}
	if req.ClientMsgID == "" || len(req.ClientMsgID) > 100 {
		return ack, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "clientMsgId", Message: "clientMsgId must hold 1 to 100 bytes"}
	}
	if err := s.checkText(req.ClientMsgID); err != nil {
		return ack, err
	}
	text := strings.TrimSpace(req.Text)
	if err := s.checkText(text); err != nil {
		return ack, err
	}
	if text == "" && req.Choice == nil {
		return ack, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text", Message: "a message needs text or a choice"}
	}
	// The chat's lock is taken only when the bot waits for this message
	// (the flow must see one answer at a time); a message the bot does
	// not wait for is one atomic append, and visitors' messages to live
	// chats do not queue behind each other's locks.
	var unlock func()
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	// A resend is found before anything runs: by the append itself when
	// no bot waits (the common case: one round trip), else by a look-up
	// first, so the bot never takes a resend for a new answer.
	dupOf := func() (bool, error) {
		m, err := s.store.MessageByClientID(ctx, chatID, req.ClientMsgID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		ack.Seq, ack.Duplicate = m.Seq, true
		return true, nil
	}
	if req.Choice == nil {
		// A live chat (with an agent) is where most messages go, and
		// there the bot waits for nothing: append at once, in one round
		// trip; anything else is read first.
		live := store.Message{Sender: store.SenderVisitor, ClientMsgID: req.ClientMsgID, Text: text}
		if ack, err := s.appendOne(ctx, chatID, ack, store.AppendCond{ExpectStatus: store.ChatLive}, live); !isEnded(err) {
			return ack, err
		}
	}
	for range moveAttempts {
		c, err := s.store.GetChat(ctx, chatID)
		if err != nil {
			return ack, err
		}
		if c.Status == store.ChatEnded {
			if dup, err := dupOf(); dup || err != nil {
				return ack, err
			}
			return ack, errChatEnded(c.ID)
		}
		msg := store.Message{Sender: store.SenderVisitor, ClientMsgID: req.ClientMsgID, Text: text}
		var st flow.State
		if c.FlowID != 0 {
			if st, err = decodeState(c.FlowState); err != nil {
				return ack, err
			}
		}
		botTurn := c.Status == store.ChatBot &&
			(st.Status == flow.StatusAwaitingAnswer || st.Status == flow.StatusAwaitingChoice)
		if req.Choice != nil && !(botTurn && st.Status == flow.StatusAwaitingChoice) {
			if dup, err := dupOf(); dup || err != nil {
				return ack, err
			}
			return ack, refuse(protocol.CodeUnexpectedInput, "no choice is offered now")
		}
		if !botTurn {
			return s.appendOne(ctx, chatID, ack, store.AppendCond{NotEnded: true}, msg)
		}
		if unlock == nil {
			unlock = s.lock(chatID)
			continue // read the chat again under the lock
		}
		if dup, err := dupOf(); dup || err != nil {
			return ack, err
		}
		rt, err := s.runtimeFor(ctx, c)
		if err != nil {
			return ack, err
		}
		in := flow.Answer(text)
		if req.Choice != nil {
			in = flow.ChooseIndex(*req.Choice)
			var labels []string
			for _, o := range rt.prog.Pending(rt.env, st) {
				if o.Kind == flow.OutChoices {
					labels = o.Choices
				}
			}
			if *req.Choice < 0 || *req.Choice >= len(labels) {
				return ack, &protocol.APIError{Kind: protocol.KindUnfit, Code: protocol.CodeUnexpectedInput, Field: "choice",
					Message: fmt.Sprintf("choice %d is not one of the %d options", *req.Choice, len(labels))}
			}
			msg.Text = labels[*req.Choice]
			msg.Payload = payload(protocol.ChatMessage{Choice: req.Choice})
		}
		stored, dup, err := s.runFlow(ctx, c, rt, in, []store.Message{msg}, protocol.EndByFlow)
		if errors.Is(err, errStateMoved) {
			continue
		}
		if dup != nil {
			ack.Seq, ack.Duplicate = dup.Seq, true
			return ack, nil
		}
		if len(stored) > 0 {
			ack.Seq = stored[0].Seq
		}
		if err != nil {
			if ack.Seq != 0 {
				s.log.Error("bot flow failed after the visitor's message was stored", "chat", chatID, "err", err)
				return ack, nil
			}
			return ack, err
		}
		return ack, nil
	}
	return ack, fmt.Errorf("send to chat %s: the flow state kept moving", chatID)
}

// End ends a chat (by the visitor, an agent, idleness or a new start):
// the flow gets its End input, and a chat_ended system message is stored.
func (s *Service) End(ctx context.Context, chatID, reason string) error {
	unlock := s.lock(chatID)
	defer unlock()
	for range moveAttempts {
		c, err := s.store.GetChat(ctx, chatID)
		if err != nil {
			return err
		}
		if c.Status == store.ChatEnded {
			return errChatEnded(chatID)
		}
		st, err := decodeState(c.FlowState)
		if err != nil {
			return err
		}
		if c.FlowID != 0 && st.Status != flow.StatusNew && st.Status != flow.StatusEnded {
			rt, err := s.runtimeFor(ctx, c)
			if err != nil {
				return err
			}
			_, _, err = s.runFlow(ctx, c, rt, flow.End(), nil, reason)
			if errors.Is(err, errStateMoved) {
				continue
			}
			return err
		}
		adv := store.ChatAdvance{CheckState: true, ExpectState: c.FlowState}
		s.endUpdate(&adv, c, reason, 0)
		res, err := s.store.AdvanceChat(ctx, chatID, adv)
		if err != nil {
			return err
		}
		if !res.Applied {
			continue
		}
		s.publish(chatID, res.Messages)
		s.publishQueue(chatID)
		return nil
	}
	return fmt.Errorf("end chat %s: the flow state kept moving", chatID)
}

// Accept gives a queued chat to agent a. Of agents accepting at once,
// exactly one wins; the others get already_claimed (409).
func (s *Service) Accept(ctx context.Context, chatID string, a *store.Agent) (*store.Chat, error) {
	unlock := s.lock(chatID)
	defer unlock()
	for range moveAttempts {
		c, err := s.store.GetChat(ctx, chatID)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return nil, errNoChat(chatID)
		}
		if err != nil {
			return nil, err
		}
		if c.Status != store.ChatQueued {
			return nil, refuse(protocol.CodeAlreadyClaimed, "chat %s is not waiting in the queue (status %s)", chatID, c.Status)
		}
		adv := store.ChatAdvance{CheckState: true, ExpectState: c.FlowState, ExpectStatus: store.ChatQueued}
		status, now, agentID := store.ChatLive, s.store.Now(), a.ID
		adv.Update = store.ChatUpdate{Status: &status, AgentID: &agentID, AcceptedAt: &now}
		if c.FlowID != 0 {
			rt, err := s.runtimeFor(ctx, c)
			if err != nil {
				return nil, err
			}
			st, err := decodeState(c.FlowState)
			if err != nil {
				return nil, err
			}
			next, _, err := rt.prog.Run(rt.env, st, flow.Agent(flow.AgentAccepted))
			if err != nil {
				return nil, flowError(err)
			}
			raw := encodeState(next)
			adv.Update.FlowState = &raw
		}
		adv.Messages = []store.Message{systemMessage(a.Name+" has joined the chat.",
			protocol.ChatMessage{Event: protocol.EventAgentJoined, AgentName: a.Name})}
		res, err := s.store.AdvanceChat(ctx, chatID, adv)
		if err != nil {
			return nil, err
		}
		if !res.Applied {
			continue // re-read: claimed by someone else, or the state moved
		}
		s.log.Info("chat accepted", "chat", chatID, "agent", a.ID)
		s.publish(chatID, res.Messages)
		s.publishQueue(chatID)
		return res.Chat, nil
	}
	return nil, refuse(protocol.CodeAlreadyClaimed, "chat %s was claimed by another agent", chatID)
}

// AgentSend stores agent a's message in a live chat the agent holds.
func (s *Service) AgentSend(ctx context.Context, chatID string, a *store.Agent, req protocol.SendRequest) (protocol.Ack, error) {
	ack := protocol.Ack{V: protocol.ProtocolVersion, ClientMsgID: req.ClientMsgID}
	text := strings.TrimSpace(req.Text)
	if err := s.checkText(text); err != nil {
		return ack, err
	}
	if err := s.checkText(req.ClientMsgID); err != nil {
		return ack, err
	}
	if text == "" {
		return ack, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text", Message: "the message is empty"}
	}
	msg := store.Message{Sender: store.SenderAgent, AgentID: a.ID, ClientMsgID: req.ClientMsgID, Text: text,
		Payload: payload(protocol.ChatMessage{AgentName: a.Name})}
	ack, err := s.appendOne(ctx, chatID, ack, store.AppendCond{ExpectStatus: store.ChatLive, AgentID: a.ID}, msg)
	if isEnded(err) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		// Not live with this agent: say why.
		if _, cerr := s.AgentChat(ctx, chatID, a); cerr != nil {
			return ack, cerr
		}
	}
	return ack, err
}

// appendOne commits msg when cond holds and acknowledges it: a resend
// gets the stored message's seq (Duplicate), a chat that moved on (ended,
// or no longer in the expected status) a chat_ended refusal.
func (s *Service) appendOne(ctx context.Context, chatID string, ack protocol.Ack, cond store.AppendCond, msg store.Message) (protocol.Ack, error) {
	res, err := s.store.AppendIf(ctx, chatID, cond, msg)
	if err != nil {
		return ack, err
	}
	if res.Duplicate != nil {
		ack.Seq, ack.Duplicate = res.Duplicate.Seq, true
		return ack, nil
	}
	if !res.Applied {
		return ack, errChatEnded(chatID)
	}
	s.publish(chatID, res.Messages)
	ack.Seq = res.Messages[0].Seq
	return ack, nil
}

// AgentChat returns a chat agent a may write in: live and theirs.
func (s *Service) AgentChat(ctx context.Context, chatID string, a *store.Agent) (*store.Chat, error) {
	c, err := s.store.GetChat(ctx, chatID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return nil, errNoChat(chatID)
	}
	if err != nil {
		return nil, err
	}
	if c.Status == store.ChatEnded {
		return nil, errChatEnded(chatID)
	}
	if c.Status != store.ChatLive || c.AgentID != a.ID {
		return nil, refuse(protocol.CodeAccessDenied, "chat %s is not live with you", chatID)
	}
	return c, nil
}

// AgentEnd ends a live chat the agent holds.
func (s *Service) AgentEnd(ctx context.Context, chatID string, a *store.Agent) error {
	if _, err := s.AgentChat(ctx, chatID, a); err != nil {
		return err
	}
	return s.End(ctx, chatID, protocol.EndByAgent)
}

// RunWorker does the chats' background work until ctx ends: every
// interval (default a minute) the chats with nothing new for IdleTimeout
// are ended with reason "idle", and chats stalled on a ticket or runbook
// action (their node died) are resumed (ResumeStalled), and chats queued
// while no agent is online take their transfer's fallback
// (FallbackUnattended).
func (s *Service) RunWorker(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.EndIdleChats(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("end idle chats", "err", err)
		}
		if _, err := s.ResumeStalled(ctx, StalledAfter); err != nil && ctx.Err() == nil {
			s.log.Warn("resume stalled chats", "err", err)
		}
		if _, err := s.FallbackUnattended(ctx, UnattendedAfter); err != nil && ctx.Err() == nil {
			s.log.Warn("fall back unattended chats", "err", err)
		}
	}
}

// EndIdleChats ends the chats idle for longer than IdleTimeout and
// returns how many it ended.
func (s *Service) EndIdleChats(ctx context.Context) (int, error) {
	if s.idle < 0 {
		return 0, nil
	}
	chats, err := s.store.IdleChats(ctx, s.store.Now().Add(-s.idle), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range chats {
		if err := s.End(ctx, c.ID, protocol.EndIdle); err != nil {
			if isEnded(err) {
				continue
			}
			return n, err
		}
		n++
	}
	return n, nil
}
