package chats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// GoneAfter is the grace period after which an agent whom no node holds
// a console of is gone, and the chats that came to them through a queue
// go back (RequeueGone). It is one rule for every chat: a reload of the
// console, a reconnect to another node, a node's restart are shorter and
// take nothing away; a closed laptop or a dead node without another
// console of the agent anywhere is longer. A disabled or deleted agent
// is gone at once.
//
// Measured from the last time any node held a console of the agent
// (store.AgentConsoleClosed, or a node's last refresh before it died).
// Never shorter than store.PresenceTTL: a node refreshes the agents it
// holds every PresenceTTL/3, so a connected agent is never this old.
const GoneAfter = store.PresenceTTL

// SeenThroughAPI records that agent a acted through the HTTP API (the
// console's socket keeps them present by itself): their queued chats stay
// theirs for GoneAfter from their last act. A failed write is logged, not
// returned: the act itself is done.
func (s *Service) SeenThroughAPI(ctx context.Context, a *store.Agent) {
	if a == nil {
		return
	}
	if err := s.store.SeeAgent(ctx, a.ID); err != nil {
		s.log.Warn("record an agent's act through the API", "agent", a.ID, "err", err)
	}
}

// RequeueGone gives back the live chats whose agent is gone (GoneAfter
// for after; see store.ChatsOfGoneAgents): a team's chat to its team,
// queued and offered on to the next free member (auto teams); a flow's
// chat to its transfer step's queue, the flow waiting on the transfer
// again. The visitor is told either way. An agent's own outreach stays
// theirs. Every node may run it: each move is a compare-and-swap on the
// chat. It returns how many chats it moved.
func (s *Service) RequeueGone(ctx context.Context, after time.Duration) (int, error) {
	cutoff := s.store.Now().Add(-max(after, store.PresenceTTL))
	list, err := s.store.ChatsOfGoneAgents(ctx, cutoff)
	if err != nil {
		return 0, fmt.Errorf("requeue the chats of gone agents: %w", err)
	}
	teams := map[int64]*store.Team{}
	n := 0
	for i := range list {
		c := &list[i]
		moved, err := s.requeueGone(ctx, c, teams)
		if err != nil {
			s.log.Warn("requeue a chat of a gone agent", "chat", c.ID, "agent", c.AgentID, "err", err)
			continue
		}
		if moved {
			n++
		}
	}
	return n, nil
}

// requeueGone gives back live chat c of a gone agent: to its team, else
// to its flow's transfer step. teams caches the teams read.
func (s *Service) requeueGone(ctx context.Context, c *store.Chat, teams map[int64]*store.Team) (bool, error) {
	if c.TeamID == 0 {
		return s.requeue(ctx, c.ID)
	}
	t := teams[c.TeamID]
	if t == nil {
		var err error
		if t, err = s.store.GetTeam(ctx, c.TeamID); err != nil {
			return false, fmt.Errorf("read team %d: %w", c.TeamID, err)
		}
		teams[c.TeamID] = t
	}
	return s.agentGone(ctx, c, t)
}

// requeue moves one live chat back to the queue, if it is still live
// with the same agent and its flow waits on a transfer.
func (s *Service) requeue(ctx context.Context, chatID string) (bool, error) {
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
	a, err := s.store.GetAgent(ctx, c.AgentID)
	switch {
	case err == nil && a.Name != "":
		name = a.Name
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return false, fmt.Errorf("read agent %d: %w", c.AgentID, err)
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
