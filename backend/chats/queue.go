package chats

import (
	"context"
	"fmt"
	"slices"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// QueueStates returns the oldest store.DefaultLimit waiting chats, oldest
// first, as agents see them in their queue: two queries however long the
// queue (State would read each chat's user on its own).
func (s *Service) QueueStates(ctx context.Context) ([]protocol.ChatState, error) {
	q, err := s.store.ListChats(ctx, store.ChatFilter{Status: store.ChatQueued})
	if err != nil {
		return nil, fmt.Errorf("read the queue: %w", err)
	}
	var ids []int64
	for _, c := range q {
		if c.UserID != 0 {
			ids = append(ids, c.UserID)
		}
	}
	users, err := s.store.UsersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read the queue's users: %w", err)
	}
	teams, err := s.queueTeams(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.ChatState, 0, len(q))
	for i := range q {
		st := baseState(&q[i])
		if u, ok := users[q[i].UserID]; ok {
			setUser(st, &u)
		}
		st.TeamID, st.OfferedTo = q[i].TeamID, q[i].AgentID
		if t := teams[q[i].TeamID]; t != nil {
			st.TeamName = t.Name
		}
		out = append(out, *st)
	}
	return out, nil
}

// queueTeams reads the teams the queued chats q wait for.
func (s *Service) queueTeams(ctx context.Context, q []store.Chat) (map[int64]*store.Team, error) {
	out := map[int64]*store.Team{}
	for _, c := range q {
		if c.TeamID == 0 || out[c.TeamID] != nil {
			continue
		}
		t, err := s.store.GetTeam(ctx, c.TeamID)
		if err != nil {
			return nil, fmt.Errorf("read the queue's team %d: %w", c.TeamID, err)
		}
		out[c.TeamID] = t
	}
	return out, nil
}

// QueueFor keeps of queue (QueueStates) the chats agent id, a member of
// teams, sees: those offered to them, and of those offered to nobody the
// ones of no team or of their teams.
func QueueFor(queue []protocol.ChatState, id int64, teams []int64) []protocol.ChatState {
	out := make([]protocol.ChatState, 0, len(queue))
	for _, c := range queue {
		if c.OfferedTo == id || (c.OfferedTo == 0 && (c.TeamID == 0 || slices.Contains(teams, c.TeamID))) {
			out = append(out, c)
		}
	}
	return out
}

// TeamsOf returns the teams agent id is a member of.
func (s *Service) TeamsOf(ctx context.Context, id int64) ([]int64, error) {
	teams, err := s.store.TeamsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read the teams of agent %d: %w", id, err)
	}
	return teams, nil
}
