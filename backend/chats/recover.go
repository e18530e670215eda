package chats

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// StalledAfter is how long a chat may wait on its ticket or runbook action
// before ResumeStalled takes it for stopped: longer than any runbook
// timeout, so a node still working on it is not overtaken.
const StalledAfter = 2 * time.Minute

// ResumeStalled finishes the actions of chats that stopped between
// committing a create-ticket or runbook step and completing it — the node
// died — and runs their flows on. A ticket is logged once: a ticket of the
// chat created after the waiting state was committed is that step's, and
// is reused. A runbook may be called a second time (at least once).
func (s *Service) ResumeStalled(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := s.store.Now().Add(-olderThan)
	stalled := func(c *store.Chat) bool {
		if c.UpdatedAt.After(cutoff) {
			return false
		}
		st, err := decodeState(c.FlowState)
		return err == nil && (st.Status == flow.StatusAwaitingTicket || st.Status == flow.StatusAwaitingRunbook)
	}
	return s.sweep(ctx, store.ChatBot, "resume stalled chats", stalled, func(ctx context.Context, chatID string) (bool, error) {
		return s.resumeAction(ctx, chatID, cutoff)
	})
}

// sweep runs act on each chat in status that due picks and counts those
// it finished; a chat that fails is logged and the sweep goes on, so one
// broken chat does not hold the others back.
func (s *Service) sweep(ctx context.Context, status, what string, due func(*store.Chat) bool, act func(context.Context, string) (bool, error)) (int, error) {
	list, err := s.store.ListChats(ctx, store.ChatFilter{Status: status, Page: store.Page{Limit: store.MaxLimit}})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n := 0
	for i := range list {
		if !due(&list[i]) {
			continue
		}
		done, err := act(ctx, list[i].ID)
		if err != nil {
			s.log.Warn(what, "chat", list[i].ID, "err", err)
			continue
		}
		if done {
			n++
		}
	}
	return n, nil
}

func (s *Service) resumeAction(ctx context.Context, chatID string, cutoff time.Time) (bool, error) {
	unlock := s.lock(chatID)
	defer unlock()
	c, err := s.store.GetChat(ctx, chatID)
	if err != nil {
		return false, err
	}
	if c.Status != store.ChatBot || c.UpdatedAt.After(cutoff) {
		return false, nil // moved meanwhile
	}
	st, err := decodeState(c.FlowState)
	if err != nil {
		return false, err
	}
	rt, err := s.runtimeFor(ctx, c)
	if err != nil || rt == nil {
		return false, err
	}
	act := rt.prog.PendingAction(rt.env, st)
	if act == nil {
		return false, nil
	}
	var in flow.Input
	var lead []store.Message
	switch act.Kind {
	case flow.OutCreateTicket:
		id, err := s.ticketSince(ctx, c)
		if err != nil {
			return false, err
		}
		if id == 0 {
			if id, err = s.createTicket(ctx, c, act.Summary); err != nil {
				return false, err
			}
		}
		in = flow.TicketCreated(strconv.FormatInt(id, 10))
		lead = []store.Message{systemMessage(i18n.F(chatLang(c), i18n.TicketLogged, id),
			protocol.ChatMessage{Event: protocol.EventTicketCreated, TicketID: id})}
	case flow.OutCallRunbook:
		ok, body := s.callRunbook(ctx, c, rt, st, act)
		in = flow.RunbookResult(ok, body)
	default:
		return false, nil
	}
	s.log.Info("resuming a stalled chat", "chat", c.ID, "step", act.Step, "action", act.Kind)
	if _, _, err := s.runFlow(ctx, c, rt, in, lead, protocol.EndByFlow); err != nil {
		return false, err
	}
	return true, nil
}

// ticketSince returns the ticket of chat c logged since its state was last
// committed (0 if none): the waiting step's, if the node died after
// logging it.
func (s *Service) ticketSince(ctx context.Context, c *store.Chat) (int64, error) {
	ts, err := s.store.ListTickets(ctx, store.TicketFilter{ChatID: c.ID, Limit: 10})
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		if !t.CreatedAt.Before(c.UpdatedAt) {
			return t.ID, nil
		}
	}
	return 0, nil
}

// UnattendedAfter is how long a queued chat waits with no agent online
// before FallbackUnattended gives it its transfer's fallback.
const UnattendedAfter = time.Minute

// FallbackUnattended gives the chats queued for longer than after, while no
// agent is online, their transfer step's fallback — as a transfer finds it
// when nobody is online at the time — instead of leaving them queued.
func (s *Service) FallbackUnattended(ctx context.Context, after time.Duration) (int, error) {
	online, err := s.store.CountAgentsWithPresence(ctx, store.PresenceOnline)
	if err != nil || online > 0 {
		return 0, err
	}
	cutoff := s.store.Now().Add(-after)
	unattended := func(c *store.Chat) bool { return !c.QueuedAt.After(cutoff) }
	return s.sweep(ctx, store.ChatQueued, "fall back unattended chats", unattended, s.fallback)
}

func (s *Service) fallback(ctx context.Context, chatID string) (bool, error) {
	c, err := s.store.GetChat(ctx, chatID)
	if err != nil || c.Status != store.ChatQueued {
		return false, err
	}
	if afterTransferStep(c) {
		// An agent had it (a transfer, an agent gone): its flow is past
		// the transfer step, whose fallback no longer applies.
		if err := s.End(ctx, chatID, protocol.EndUnattended); err != nil && !isEnded(err) {
			return false, err
		}
		return true, nil
	}
	unlock := s.lock(chatID)
	defer unlock()
	bot, none, never := store.ChatBot, int64(0), time.Time{}
	ok, err := s.store.UpdateChat(ctx, chatID, store.ChatQueued, store.ChatUpdate{Status: &bot, AgentID: &none, OfferedAt: &never})
	if err != nil || !ok {
		return false, err // an agent took it meanwhile, or it ended
	}
	if c, err = s.store.GetChat(ctx, chatID); err != nil {
		return false, err
	}
	rt, err := s.runtimeFor(ctx, c)
	if err != nil || rt == nil {
		return false, err
	}
	lead := []store.Message{systemMessage(i18n.T(chatLang(c), i18n.NoAgentAnyMore),
		protocol.ChatMessage{Event: protocol.EventNobodyIn, Reason: protocol.NobodyInNoAgent})}
	if _, _, err := s.runFlow(ctx, c, rt, flow.Agent(flow.AgentUnavailable), lead, protocol.EndByFlow); err != nil {
		return false, err
	}
	s.publishQueue(chatID)
	s.log.Info("queued chat fell back: no agent online", "chat", chatID)
	return true, nil
}
