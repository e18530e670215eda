package chats

import (
	"context"
	"fmt"

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
	out := make([]protocol.ChatState, 0, len(q))
	for i := range q {
		st := baseState(&q[i])
		if u, ok := users[q[i].UserID]; ok {
			setUser(st, &u)
		}
		out = append(out, *st)
	}
	return out, nil
}
