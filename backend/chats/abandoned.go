package chats

import (
	"context"
	"errors"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// AbandonedAfter is how long a live chat's agent may be gone — no node
// holding a console of theirs — before RequeueAbandoned gives the chat
// back to the queue. A node holding a console refreshes the agent every
// store.PresenceTTL/3, so a connected agent is never this old, even
// where a dead node's last word set their presence offline.
const AbandonedAfter = 5 * time.Minute

// RequeueAbandoned returns to the queue the live chats whose agent is
// gone: disabled, or seen by no node for longer than after (at least
// store.PresenceTTL). Only chats that came through the queue (a flow's
// transfer step, now live) go back; an agent's outreach stays theirs.
// The visitor is told, and the chat waits for the next agent as before
// (the transfer's fallback applies if nobody comes: FallbackUnattended).
// Every node may run it: the move is a compare-and-swap on the chat.
func (s *Service) RequeueAbandoned(ctx context.Context, after time.Duration) (int, error) {
	cutoff := s.store.Now().Add(-max(after, store.PresenceTTL))
	agents := map[int64]*store.Agent{}
	gone := func(c *store.Chat) bool {
		if c.AgentID == 0 || c.FlowID == 0 {
			return false
		}
		a, ok := agents[c.AgentID]
		if !ok {
			var err error
			if a, err = s.store.GetAgent(ctx, c.AgentID); err != nil && !errors.Is(err, store.ErrNotFound) {
				s.log.Warn("requeue abandoned chats: read the agent", "agent", c.AgentID, "err", err)
				return false
			}
			agents[c.AgentID] = a
		}
		return a == nil || a.Disabled || a.LastSeenAt.Before(cutoff)
	}
	return s.sweep(ctx, store.ChatLive, "requeue abandoned chats", gone, func(ctx context.Context, chatID string) (bool, error) {
		return s.requeue(ctx, chatID, agents)
	})
}

// requeue moves one live chat back to the queue, if it is still live
// with the same agent and its flow waits on a transfer.
func (s *Service) requeue(ctx context.Context, chatID string, agents map[int64]*store.Agent) (bool, error) {
	unlock := s.lock(chatID)
	defer unlock()
	c, err := s.store.GetChat(ctx, chatID)
	if err != nil || c.Status != store.ChatLive {
		return false, err
	}
	st, err := decodeState(c.FlowState)
	if err != nil || st.Status != flow.StatusLive {
		return false, err
	}
	st.Status = flow.StatusAwaitingAgent // the transfer step waits again
	raw := encodeState(st)
	queued, none, now := store.ChatQueued, int64(0), s.store.Now()
	name := "—"
	if a := agents[c.AgentID]; a != nil && a.Name != "" {
		name = a.Name
	}
	res, err := s.store.AdvanceChat(ctx, chatID, store.ChatAdvance{CheckState: true, ExpectState: c.FlowState,
		ExpectStatus: store.ChatLive, ExpectAgentID: c.AgentID,
		Update: store.ChatUpdate{Status: &queued, AgentID: &none, QueuedAt: &now, FlowState: &raw},
		Messages: []store.Message{systemMessage(i18n.F(chatLang(c), i18n.AgentLeft, name),
			protocol.ChatMessage{Event: protocol.EventQueued})}})
	if err != nil || !res.Applied {
		return false, err
	}
	s.log.Info("chat back in the queue: its agent is gone", "chat", chatID, "agent", c.AgentID)
	s.publish(chatID, res.Messages)
	s.publishQueue(chatID)
	return true, nil
}
