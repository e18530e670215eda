package chats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/metrics"
	"halochat/backend/store"
	"halochat/backend/tick"
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

// Send stores a visitor's message in chat chatID (already verified by its
// resume secret) and, while the bot waits for an answer or a choice,
// runs the flow with it. A resend with the same client message id is
// acknowledged again (Duplicate) and changes nothing. Refusals are
// *protocol.APIError: a message that is none (checkSend), a chat that has
// ended, a choice while none is offered or not one of those offered.
func (s *Service) Send(ctx context.Context, chatID string, req protocol.SendRequest) (protocol.Ack, error) {
	start := time.Now()
	ack, err := s.send(ctx, chatID, req)
	s.metrics.Message(metrics.Visitor, start, ack.Duplicate, Public(err))
	return ack, err
}

func (s *Service) send(ctx context.Context, chatID string, req protocol.SendRequest) (protocol.Ack, error) {
	ack := protocol.Ack{V: protocol.ProtocolVersion, ClientMsgID: req.ClientMsgID}
	text, err := s.checkSend(req)
	if err != nil {
		return ack, err
	}
	msg := store.Message{Sender: store.SenderVisitor, ClientMsgID: req.ClientMsgID, Text: text}
	if req.Choice == nil {
		// A live chat (with an agent) is where most messages go, and
		// there the bot waits for nothing: append at once, in one round
		// trip (a resend is found by the append itself); anything else is
		// read first.
		if ack, err := s.appendOne(ctx, chatID, ack, store.AppendCond{ExpectStatus: store.ChatLive}, msg); !isEnded(err) {
			return ack, err
		}
	}
	sn := &sending{s: s, chatID: chatID, msg: msg, choice: req.Choice, ack: ack}
	defer sn.release()
	for range moveAttempts {
		if done, err := sn.try(ctx); done {
			return sn.ack, err
		}
	}
	return ack, fmt.Errorf("send to chat %s: the flow state kept moving", chatID)
}

// checkSend decides whether a visitor's message is one at all: a client
// message id of 1 to 100 bytes of text, text within the length limit, and
// text or a choice. It returns the text, trimmed.
func (s *Service) checkSend(req protocol.SendRequest) (string, error) {
	if req.ClientMsgID == "" || len(req.ClientMsgID) > 100 {
		return "", &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "clientMsgId", Message: "clientMsgId must hold 1 to 100 bytes"}
	}
	if err := s.checkText(req.ClientMsgID); err != nil {
		return "", err
	}
	text := strings.TrimSpace(req.Text)
	if err := s.checkText(text); err != nil {
		return "", err
	}
	if text == "" && req.Choice == nil {
		return "", &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "text", Message: "a message needs text or a choice"}
	}
	return text, nil
}

// sending is one visitor's message on its way into a chat.
type sending struct {
	s      *Service
	chatID string
	msg    store.Message // as sent: a choice's text is set once its option is known
	choice *int
	ack    protocol.Ack
	// unlock releases the chat's lock. It is taken only when the bot
	// waits for this message (the flow must see one answer at a time); a
	// message the bot does not wait for is one atomic append, and
	// visitors' messages to live chats do not queue behind each other's
	// locks.
	unlock func()
}

func (sn *sending) release() {
	if sn.unlock != nil {
		sn.unlock()
	}
}

// route is where a visitor's message goes.
type route int

const (
	routeEnded    route = iota // nowhere: the chat has ended
	routeNoChoice              // nowhere: a choice, and no choice is offered
	routeAppend                // into the chat: nobody waits for it (an agent's chat, or the bot busy)
	routeBot                   // to the bot, which waits for an answer or a choice
)

// routeOf decides where a message (a choice or not) goes in chat c, whose
// flow is in state st.
func routeOf(c *store.Chat, st flow.State, choice bool) route {
	if c.Status == store.ChatEnded {
		return routeEnded
	}
	botTurn := c.Status == store.ChatBot &&
		(st.Status == flow.StatusAwaitingAnswer || st.Status == flow.StatusAwaitingChoice)
	switch {
	case choice && !(botTurn && st.Status == flow.StatusAwaitingChoice):
		return routeNoChoice
	case !botTurn:
		return routeAppend
	}
	return routeBot
}

// try delivers the message to the chat as stored now. done is false when
// the chat must be read again: its lock was just taken, or another node
// moved its flow first.
func (sn *sending) try(ctx context.Context) (done bool, err error) {
	c, err := sn.s.store.GetChat(ctx, sn.chatID)
	if err != nil {
		return true, err
	}
	var st flow.State
	if c.FlowID != 0 && c.Status != store.ChatEnded {
		if st, err = decodeState(c.FlowState); err != nil {
			return true, err
		}
	}
	switch routeOf(c, st, sn.choice != nil) {
	case routeEnded:
		return true, sn.refuseUnlessResent(ctx, errChatEnded(c.ID))
	case routeNoChoice:
		return true, sn.refuseUnlessResent(ctx, refuse(protocol.CodeUnexpectedInput, "no choice is offered now"))
	case routeAppend:
		sn.ack, err = sn.s.appendOne(ctx, sn.chatID, sn.ack, store.AppendCond{NotEnded: true}, sn.msg)
		return true, err
	}
	if sn.unlock == nil {
		sn.unlock = sn.s.lock(sn.chatID)
		return false, nil
	}
	return sn.toBot(ctx, c, st)
}

// resent looks the message's client id up in the chat: a resend is
// acknowledged with the stored message's seq.
func (sn *sending) resent(ctx context.Context) (bool, error) {
	m, err := sn.s.store.MessageByClientID(ctx, sn.chatID, sn.msg.ClientMsgID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sn.ack.Seq, sn.ack.Duplicate = m.Seq, true
	return true, nil
}

// refuseUnlessResent refuses the message with refusal, unless it is a
// resend of one the chat took before: that is acknowledged again.
func (sn *sending) refuseUnlessResent(ctx context.Context, refusal error) error {
	if dup, err := sn.resent(ctx); dup || err != nil {
		return err
	}
	return refusal
}

// toBot runs the flow with the message, under the chat's lock. A resend
// is found first, so the bot never takes one for a new answer. done is
// false when another node moved the flow first. Once the visitor's
// message is stored it is acknowledged, even if the bot fails after it
// (the server's failure, logged).
func (sn *sending) toBot(ctx context.Context, c *store.Chat, st flow.State) (done bool, err error) {
	if dup, err := sn.resent(ctx); dup || err != nil {
		return true, err
	}
	rt, err := sn.s.runtimeFor(ctx, c)
	if err != nil {
		return true, err
	}
	in, msg, err := sn.input(rt, st)
	if err != nil {
		return true, err
	}
	stored, dup, err := sn.s.runFlow(ctx, c, rt, in, []store.Message{msg}, protocol.EndByFlow)
	switch {
	case errors.Is(err, errStateMoved):
		return false, nil
	case dup != nil:
		sn.ack.Seq, sn.ack.Duplicate = dup.Seq, true
		return true, nil
	}
	if len(stored) > 0 {
		sn.ack.Seq = stored[0].Seq
	}
	if err != nil && sn.ack.Seq != 0 {
		sn.s.log.Error("bot flow failed after the visitor's message was stored", "chat", sn.chatID, "err", err)
		return true, nil
	}
	return true, err
}

// input is what the flow gets from the message: its text as an answer,
// or the option a choice picks — refused unless one of those the bot
// offers — with the message stored under the option's label.
func (sn *sending) input(rt *runtime, st flow.State) (flow.Input, store.Message, error) {
	msg := sn.msg
	if sn.choice == nil {
		return flow.Answer(msg.Text), msg, nil
	}
	i := *sn.choice
	var labels []string
	for _, o := range rt.prog.Pending(rt.env, st) {
		if o.Kind == flow.OutChoices {
			labels = o.Choices
		}
	}
	if i < 0 || i >= len(labels) {
		return flow.Input{}, msg, &protocol.APIError{Kind: protocol.KindUnfit, Code: protocol.CodeUnexpectedInput, Field: "choice",
			Message: fmt.Sprintf("choice %d is not one of the %d options", i, len(labels))}
	}
	msg.Text = labels[i]
	msg.Payload = payload(protocol.ChatMessage{Choice: sn.choice})
	return flow.ChooseIndex(i), msg, nil
}

// VisitorEnd ends a chat at its visitor's call, which may give a reason:
// none or "visitor" (the visitor ended it) or "logout" (the host page's
// user logged out: haloChat_inboundEvent_logout). A visitor cannot claim
// any other reason (an agent's, say).
func (s *Service) VisitorEnd(ctx context.Context, chatID, reason string) error {
	switch reason {
	case "":
		reason = protocol.EndByVisitor
	case protocol.EndByVisitor, protocol.EndLogout:
	default:
		return refuse(protocol.CodeInvalidRequest, "a visitor ends a chat with reason %q or %q, not %q",
			protocol.EndByVisitor, protocol.EndLogout, reason)
	}
	return s.End(ctx, chatID, reason)
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
// exactly one wins; the others get already_claimed (409). A chat offered
// to another agent, or of a team a is not in, is not a's to take; nor is
// any chat while a holds as many as their cap (conflict, 409).
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
		adv := store.ChatAdvance{CheckState: true, ExpectState: c.FlowState, ExpectStatus: store.ChatQueued,
			Taker: a.ID, WithinCap: true}
		status, now, agentID, never := store.ChatLive, s.store.Now(), a.ID, time.Time{}
		adv.Update = store.ChatUpdate{Status: &status, AgentID: &agentID, AcceptedAt: &now, OfferedAt: &never}
		if !afterTransferStep(c) {
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
		adv.Messages = []store.Message{systemMessage(i18n.F(chatLang(c), i18n.AgentJoined, a.Name),
			protocol.ChatMessage{Event: protocol.EventAgentJoined, AgentName: a.Name})}
		res, err := s.store.AdvanceChat(ctx, chatID, adv)
		if err != nil {
			return nil, err
		}
		if !res.Applied {
			if err := s.notYours(ctx, c, a); err != nil {
				return nil, err
			}
			continue // re-read: claimed by someone else, or the state moved
		}
		s.log.InfoContext(ctx, "chat accepted", "chat", chatID, "agent", a.ID)
		if !c.QueuedAt.IsZero() {
			s.metrics.QueueWait(now.Sub(c.QueuedAt))
		}
		s.publish(chatID, res.Messages)
		s.publishQueue(chatID)
		return res.Chat, nil
	}
	return nil, refuse(protocol.CodeAlreadyClaimed, "chat %s was claimed by another agent", chatID)
}

// AgentSend stores agent a's message in a live chat the agent holds.
// session, when not "", is the agent's session (its token hash): the
// message is stored only while it holds, checked by the statement that
// stores it (store.ErrSessionEnded otherwise); "" where the caller has
// just checked it.
func (s *Service) AgentSend(ctx context.Context, chatID string, a *store.Agent, session string, req protocol.SendRequest) (protocol.Ack, error) {
	start := time.Now()
	ack, err := s.agentSend(ctx, chatID, a, session, req)
	s.metrics.Message(metrics.Agent, start, ack.Duplicate, Public(err))
	return ack, err
}

func (s *Service) agentSend(ctx context.Context, chatID string, a *store.Agent, session string, req protocol.SendRequest) (protocol.Ack, error) {
	ack := protocol.Ack{V: protocol.ProtocolVersion, ClientMsgID: req.ClientMsgID}
	text, err := s.checkPost(req)
	if err != nil {
		return ack, err
	}
	msg := store.Message{Sender: store.SenderAgent, AgentID: a.ID, ClientMsgID: req.ClientMsgID, Text: text,
		Payload: payload(protocol.ChatMessage{AgentName: a.Name})}
	ack, err = s.appendOne(ctx, chatID, ack, store.AppendCond{ExpectStatus: store.ChatLive, AgentID: a.ID, Session: session}, msg)
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
	return s.acked(chatID, ack, res, err)
}

// acked acknowledges the append of one message that res (err) reports,
// and publishes it.
func (s *Service) acked(chatID string, ack protocol.Ack, res store.AdvanceResult, err error) (protocol.Ack, error) {
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
// (FallbackUnattended); every RouteEvery the queued chats of teams move
// on (RouteTeamChats) and the live chats whose agent is gone go back to
// their team or queue (RequeueGone).
func (s *Service) RunWorker(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	// Teams' accept timeouts are seconds: their router ticks more often
	// (it reads the queued chats of teams only), and so does the sweep of
	// gone agents' chats (it reads the live chats whose agent is gone).
	go tick.Every(ctx, min(interval, RouteEvery), func(ctx context.Context) {
		if _, err := s.RouteTeamChats(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("route team chats", "err", err)
		}
		if _, err := s.RequeueGone(ctx, GoneAfter); err != nil && ctx.Err() == nil {
			s.log.Warn("requeue the chats of gone agents", "err", err)
		}
	})
	tick.Every(ctx, interval, func(ctx context.Context) {
		if _, err := s.EndIdleChats(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("end idle chats", "err", err)
		}
		if _, err := s.ResumeStalled(ctx, StalledAfter); err != nil && ctx.Err() == nil {
			s.log.Warn("resume stalled chats", "err", err)
		}
		if _, err := s.FallbackUnattended(ctx, UnattendedAfter); err != nil && ctx.Err() == nil {
			s.log.Warn("fall back unattended chats", "err", err)
		}
	})
}

// EndIdleChats ends the chats idle for longer than IdleTimeout and
// returns how many it ended.
func (s *Service) EndIdleChats(ctx context.Context) (int, error) {
	if s.idle < 0 {
		return 0, nil
	}
	now := s.store.Now()
	chats, err := s.store.IdleChats(ctx, now.Add(-s.idle), now.Add(-s.outreachIdle), 200)
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
