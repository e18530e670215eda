package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Agent presence states.
const (
	PresenceOffline = "offline"
	PresenceOnline  = "online"
	PresenceAway    = "away"
)

// PresenceTTL is how long an agent stays online without a node seeing it.
const PresenceTTL = 90 * time.Second

// CountAgentsWithPresence counts enabled agents with that presence (e.g.
// online agents, for availability).
//
// An agent counts as online only if a node has seen it within PresenceTTL:
// the node holding an agent's console refreshes LastSeenAt
// (TouchAgents), so the agents of a node that died stop counting.
func (s *Store) CountAgentsWithPresence(ctx context.Context, presence string) (int64, error) {
	q := s.db.NewSelect().Model((*Agent)(nil)).Where("a.presence = ?", presence).Where("a.disabled = ?", false)
	if presence == PresenceOnline {
		q = q.Where("a.last_seen_at >= ?", s.Now().Add(-PresenceTTL))
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, wrap(err, "count "+presence+" agents")
	}
	return n, nil
}

// TouchAgents records that a node still holds these agents' consoles.
func (s *Store) TouchAgents(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Agent)(nil)).
		Set("last_seen_at = ?", s.Now()).Where("id IN (?)", bun.List(ids)))
	return wrap(err, "touch agents")
}

// SetAgentPresence sets an agent's presence and last-seen time.
func (s *Store) SetAgentPresence(ctx context.Context, id int64, presence string) error {
	what := fmt.Sprintf("set presence of agent %d", id)
	if err := oneOf(what, "presence", presence, PresenceOffline, PresenceOnline, PresenceAway); err != nil {
		return err
	}
	now := s.Now()
	res, err := s.execWrite(ctx, s.db.NewUpdate().Model((*Agent)(nil)).
		Set("presence = ?", presence).Set("last_seen_at = ?", now).Set("updated_at = ?", now).
		Where("id = ?", id))
	return affected(res, err, what)
}
