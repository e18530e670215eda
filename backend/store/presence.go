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

// PresenceTTL is how long a node's word that it holds an agent's console
// counts without a refresh: the node refreshes it every PresenceTTL/3
// (TouchAgents), so the agents of a node that died stop counting after
// PresenceTTL.
const PresenceTTL = 90 * time.Second

// Presence with several nodes. An agent may hold consoles on several
// nodes at once (two tabs behind a load balancer, a reconnect that lands
// elsewhere). Each node keeps its own row per agent in agent_consoles
// (AgentConsoleOpened, AgentConsoleClosed, TouchAgents), and an agent is
// online while any node's row is fresh (seen within PresenceTTL) and the
// agent is enabled: a node that closes its last console of an agent, or
// dies, takes only its own row away, never another node's word. The
// agents.presence column is a summary for display, recomputed from the
// rows on each change; agents.last_seen_at is the last time any node
// held a console of the agent (ChatsOfGoneAgents).

// agentConsole is one node's word that it holds consoles of an agent.
type agentConsole struct {
	bun.BaseModel `bun:"table:agent_consoles,alias:ac"`

	AgentID int64     `bun:"agent_id,pk"`
	Node    string    `bun:"node,pk"`
	SeenAt  time.Time `bun:"seen_at"`
}

// heldByAConsole is the condition on agents (alias a) that a node holds
// a console of theirs now: a row of agent_consoles seen since the first
// argument (now - PresenceTTL).
const heldByAConsole = `EXISTS (SELECT 1 FROM agent_consoles AS ac WHERE ac.agent_id = a.id AND ac.seen_at >= ?)`

// onlineAgents adds to q (over agents, alias a) the condition that the
// agent is online now: enabled and held by a console on some node.
func (s *Store) onlineAgents(q *bun.SelectQuery) *bun.SelectQuery {
	return q.Where("a.disabled = ?", false).Where(heldByAConsole, s.Now().Add(-PresenceTTL))
}

// CountAgentsWithPresence counts enabled agents with that presence (e.g.
// online agents, for availability). Online means held by a console on
// some node now (see above), whatever the summary column says.
func (s *Store) CountAgentsWithPresence(ctx context.Context, presence string) (int64, error) {
	q := s.db.NewSelect().Model((*Agent)(nil))
	if presence == PresenceOnline {
		q = s.onlineAgents(q)
	} else {
		q = q.Where("a.presence = ?", presence).Where("a.disabled = ?", false)
	}
	n, err := q.Count(ctx)
	if err != nil {
		return 0, wrap(err, "count "+presence+" agents")
	}
	return n, nil
}

// AgentOnline reports whether agent id is enabled and online now.
func (s *Store) AgentOnline(ctx context.Context, id int64) (bool, error) {
	ok, err := s.onlineAgents(s.db.NewSelect().Model((*Agent)(nil)).Where("a.id = ?", id)).Exists(ctx)
	return ok, wrap(err, fmt.Sprintf("is agent %d online", id))
}

// OnlineAgentIDs returns the ids of the agents online now.
func (s *Store) OnlineAgentIDs(ctx context.Context) (map[int64]bool, error) {
	var ids []int64
	if err := s.onlineAgents(s.db.NewSelect().Model((*Agent)(nil)).Column("a.id")).Scan(ctx, &ids); err != nil {
		return nil, wrap(err, "list the online agents")
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// AgentConsoleOpened records that node holds a console of agent id (its
// first on that node): the agent is online.
func (s *Store) AgentConsoleOpened(ctx context.Context, node string, id int64) error {
	what := fmt.Sprintf("agent %d opens a console on node %q", id, node)
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		if err := setPresence(ctx, tx, what, id, PresenceOnline, now); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&agentConsole{AgentID: id, Node: node, SeenAt: now}).
			On("CONFLICT (agent_id, node) DO UPDATE").Set("seen_at = EXCLUDED.seen_at").Exec(ctx)
		return wrap(err, what)
	})
}

// AgentConsoleClosed records that node holds no console of agent id any
// more: its row goes, the other nodes' stay, and the agent is offline
// only if no other node holds a console of theirs. The agent was seen
// now (ChatsOfGoneAgents counts the grace from here).
func (s *Store) AgentConsoleClosed(ctx context.Context, node string, id int64) error {
	what := fmt.Sprintf("agent %d closes their last console on node %q", id, node)
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		if _, err := tx.NewDelete().Model((*agentConsole)(nil)).Where("agent_id = ?", id).Where("node = ?", node).Exec(ctx); err != nil {
			return wrap(err, what)
		}
		_, err := tx.NewUpdate().Model((*Agent)(nil)).
			Set("presence = CASE WHEN EXISTS (SELECT 1 FROM agent_consoles AS ac WHERE ac.agent_id = ? AND ac.seen_at >= ?) THEN ? ELSE ? END",
				id, now.Add(-PresenceTTL), PresenceOnline, PresenceOffline).
			Set("last_seen_at = ?", now).Set("updated_at = ?", now).
			Where("id = ?", id).Exec(ctx)
		return wrap(err, what)
	})
}

// TouchAgents records that node still holds consoles of the agents ids
// (writing the rows afresh, should an open have failed to) and removes
// the rows no node has refreshed within PresenceTTL (a node that died).
func (s *Store) TouchAgents(ctx context.Context, node string, ids []int64) error {
	what := fmt.Sprintf("refresh the presence of %d agents on node %q", len(ids), node)
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		if _, err := tx.NewDelete().Model((*agentConsole)(nil)).Where("seen_at < ?", now.Add(-PresenceTTL)).Exec(ctx); err != nil {
			return wrap(err, what+": remove stale rows")
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.NewUpdate().Model((*Agent)(nil)).
			Set("presence = CASE WHEN presence = ? THEN ? ELSE presence END", PresenceOffline, PresenceOnline).
			Set("last_seen_at = ?", now).Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
			return wrap(err, what)
		}
		// From the agents that exist: one deleted meanwhile (their
		// console about to close) must not fail the others' refresh.
		_, err := tx.ExecContext(ctx, `INSERT INTO agent_consoles (agent_id, node, seen_at)
SELECT a.id, ?, ? FROM agents AS a WHERE a.id IN (?)
ON CONFLICT (agent_id, node) DO UPDATE SET seen_at = EXCLUDED.seen_at`, node, now, bun.List(ids))
		return wrap(err, what)
	})
}

// SetAgentPresence sets an agent's presence as one node would: online
// as if a console of theirs were open on the node named "" (for tools
// and tests that run no realtime server); offline or away takes every
// node's word away (the agent is offered no chat until a console of
// theirs opens or is refreshed again).
func (s *Store) SetAgentPresence(ctx context.Context, id int64, presence string) error {
	what := fmt.Sprintf("set presence of agent %d", id)
	if err := oneOf(what, "presence", presence, PresenceOffline, PresenceOnline, PresenceAway); err != nil {
		return err
	}
	if presence == PresenceOnline {
		return s.AgentConsoleOpened(ctx, "", id)
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := setPresence(ctx, tx, what, id, presence, s.Now()); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model((*agentConsole)(nil)).Where("agent_id = ?", id).Exec(ctx)
		return wrap(err, what)
	})
}

// SeeAgent records that agent id acted through the API (an accept, a
// message) at the store's now: an agent who works through an
// integration, with no console on any node, is seen by what they do, and
// is not gone (ChatsOfGoneAgents) while they act within the grace
// period. A write at most every 10 s an agent.
func (s *Store) SeeAgent(ctx context.Context, id int64) error {
	now := s.Now().UTC()
	_, err := s.db.NewUpdate().Model((*Agent)(nil)).Set("last_seen_at = ?", now).
		Where("id = ?", id).Where("(last_seen_at IS NULL OR last_seen_at < ?)", now.Add(-10*time.Second)).Exec(ctx)
	return wrap(err, fmt.Sprintf("record agent %d as seen", id))
}

// setPresence sets agent id's presence summary, seen at now, in tx:
// ErrNotFound when there is no such agent.
func setPresence(ctx context.Context, tx bun.Tx, what string, id int64, presence string, now time.Time) error {
	res, err := tx.NewUpdate().Model((*Agent)(nil)).
		Set("presence = ?", presence).Set("last_seen_at = ?", now).Set("updated_at = ?", now).
		Where("id = ?", id).Exec(ctx)
	return affected(res, err, what)
}

// agentGone returns the condition on chats (alias c) that the chat's
// agent is gone, and its arguments: deleted, disabled, or held by no
// console on any node and seen by no node since cutoff (a grace period
// after their last console closed or their node died).
func (s *Store) agentGone(cutoff time.Time) (string, []any) {
	return `c.agent_id NOT IN (SELECT a.id FROM agents AS a WHERE a.disabled = ? AND (a.last_seen_at >= ? OR ` + heldByAConsole + `))`,
		[]any{false, cutoff, s.Now().Add(-PresenceTTL)}
}

// ChatsOfGoneAgents returns up to MaxLimit live chats that came to their
// agent through a queue — a team's (team_id) or a flow's transfer step
// (flow_id) — whose agent is gone: deleted, disabled, or held by no
// console on any node and seen by no node since cutoff. An agent's own
// outreach (neither) stays theirs.
func (s *Store) ChatsOfGoneAgents(ctx context.Context, cutoff time.Time) ([]Chat, error) {
	cond, args := s.agentGone(cutoff)
	return list[Chat](ctx, s.db, "list the live chats of gone agents", func(q *bun.SelectQuery) *bun.SelectQuery {
		return Page{Limit: MaxLimit}.apply(q.Where("c.status = ?", ChatLive).Where("c.agent_id IS NOT NULL").
			Where("(c.team_id IS NOT NULL OR c.flow_id IS NOT NULL)").Where(cond, args...).
			Order("c.accepted_at", "c.id"))
	})
}
