package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Team routing modes.
const (
	// TeamManual: the team's chats wait in a queue only its members see,
	// and a member accepts one (as the shared queue works).
	TeamManual = "manual"
	// TeamAuto: each chat is offered to the online member with the fewest
	// open chats below their cap, who accepts it.
	TeamAuto = "auto"
)

// MaxAcceptTimeout is the longest a team lets a chat wait for an accept.
const MaxAcceptTimeout = 24 * 60 * 60

// Team is a group of agents that chats are routed to (a flow's transfer
// step, a transfer).
type Team struct {
	bun.BaseModel `bun:"table:teams,alias:t"`

	ID   int64  `bun:"id,pk,autoincrement"`
	Name string `bun:"name"` // unique
	Mode string `bun:"mode"` // TeamManual | TeamAuto
	// AcceptTimeout is how many seconds a chat waits for an accept (in
	// the queue, or offered to one member) before it goes to the next
	// member or, when nobody can take it, to its fallback; 0 waits on.
	AcceptTimeout int64     `bun:"accept_timeout"`
	Members       []int64   `bun:"-"` // agent ids, ascending; kept in team_members
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// teamMember is one agent of one team.
type teamMember struct {
	bun.BaseModel `bun:"table:team_members,alias:tm"`

	TeamID  int64 `bun:"team_id,pk"`
	AgentID int64 `bun:"agent_id,pk"`
}

func checkTeam(what string, t *Team) error {
	if err := checkText(what, "name", t.Name); err != nil {
		return err
	}
	if t.Name == "" {
		return invalid(what, "name is empty")
	}
	if t.Mode == "" {
		t.Mode = TeamManual
	}
	if err := oneOf(what, "mode", t.Mode, TeamManual, TeamAuto); err != nil {
		return err
	}
	if t.AcceptTimeout < 0 || t.AcceptTimeout > MaxAcceptTimeout {
		return invalid(what, "accept timeout %d is not between 0 and %d seconds", t.AcceptTimeout, MaxAcceptTimeout)
	}
	slices.Sort(t.Members)
	t.Members = slices.Compact(t.Members)
	return nil
}

// CreateTeam stores a new team and its members (who must be agents).
func (s *Store) CreateTeam(ctx context.Context, t *Team) error {
	const what = "create team"
	if err := checkTeam(what, t); err != nil {
		return err
	}
	stamp(t, s.Now(), "CreatedAt", "UpdatedAt")
	if a := pendingAudit(ctx); a != nil {
		a.describe(nil, t)
		noteAudit(ctx, "members", t.Members)
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insert(ctx, tx, what, t); err != nil {
			return err
		}
		return putMembers(ctx, tx, what, t)
	})
}

// UpdateTeam saves every field of t and replaces its members.
func (s *Store) UpdateTeam(ctx context.Context, t *Team) error {
	what := fmt.Sprintf("update team %d", t.ID)
	if err := checkTeam(what, t); err != nil {
		return err
	}
	stamp(t, s.Now(), "UpdatedAt")
	audit := pendingAudit(ctx)
	if audit != nil {
		noteAudit(ctx, "members", t.Members)
	}
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if audit != nil { // the row as it was, for the audit row's changed fields
			was := &Team{ID: t.ID}
			if err := tx.NewSelect().Model(was).WherePK().Scan(ctx); err != nil {
				return wrap(err, what)
			}
			audit.describe(was, t)
		}
		res, err := tx.NewUpdate().Model(t).WherePK().ExcludeColumn("created_at").Exec(ctx)
		if err := affected(res, err, what); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*teamMember)(nil)).Where("team_id = ?", t.ID).Exec(ctx); err != nil {
			return wrap(err, what+": members")
		}
		return putMembers(ctx, tx, what, t)
	})
}

func putMembers(ctx context.Context, tx bun.IDB, what string, t *Team) error {
	if len(t.Members) == 0 {
		return nil
	}
	rows := make([]teamMember, len(t.Members))
	for i, a := range t.Members {
		rows[i] = teamMember{TeamID: t.ID, AgentID: a}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return wrap(err, what+": members")
}

// GetTeam returns the team with that id and its members.
func (s *Store) GetTeam(ctx context.Context, id int64) (*Team, error) {
	t, err := getBy[Team](ctx, s.db, fmt.Sprintf("get team %d", id), "id", id)
	if err != nil {
		return nil, err
	}
	ts := []Team{*t}
	if err := s.fillMembers(ctx, ts); err != nil {
		return nil, err
	}
	return &ts[0], nil
}

// ListTeams returns every team by name, with its members.
func (s *Store) ListTeams(ctx context.Context) ([]Team, error) {
	ts, err := list[Team](ctx, s.db, "list teams", orderBy("t.name", "t.id"))
	if err != nil {
		return nil, err
	}
	return ts, s.fillMembers(ctx, ts)
}

func (s *Store) fillMembers(ctx context.Context, ts []Team) error {
	if len(ts) == 0 {
		return nil
	}
	ids := make([]int64, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
		ts[i].Members = []int64{}
	}
	var rows []teamMember
	if err := s.db.NewSelect().Model(&rows).Where("tm.team_id IN (?)", bun.List(ids)).
		Order("tm.team_id", "tm.agent_id").Scan(ctx); err != nil {
		return wrap(err, "list team members")
	}
	for _, r := range rows {
		i := slices.Index(ids, r.TeamID)
		ts[i].Members = append(ts[i].Members, r.AgentID)
	}
	return nil
}

// DeleteTeam deletes a team; its chats keep going without it, and its
// canned responses become every agent's (as a chat's team_id is set to
// NULL by its foreign key): kept, not lost with the team.
func (s *Store) DeleteTeam(ctx context.Context, id int64) error {
	what := fmt.Sprintf("delete team %d", id)
	return s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*CannedResponse)(nil)).Set("team_id = NULL").
			Where("team_id = ?", id).Exec(ctx); err != nil {
			return wrap(err, what+": its canned responses to every agent")
		}
		res, err := tx.NewDelete().Model((*Team)(nil)).Where("id = ?", id).Exec(ctx)
		return affected(res, err, what)
	})
}

// TeamsOf returns the ids of the teams agentID belongs to, ascending.
func (s *Store) TeamsOf(ctx context.Context, agentID int64) ([]int64, error) {
	var ids []int64
	err := s.db.NewSelect().Model((*teamMember)(nil)).Column("team_id").Where("agent_id = ?", agentID).
		Order("team_id").Scan(ctx, &ids)
	return ids, wrap(err, fmt.Sprintf("list the teams of agent %d", agentID))
}

// TeamMembers maps each team to its members' ids (the queue's audience).
func (s *Store) TeamMembers(ctx context.Context, teamIDs []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(teamIDs) == 0 {
		return out, nil
	}
	var rows []teamMember
	if err := s.db.NewSelect().Model(&rows).Where("tm.team_id IN (?)", bun.List(teamIDs)).
		Order("tm.team_id", "tm.agent_id").Scan(ctx); err != nil {
		return nil, wrap(err, "list team members")
	}
	for _, r := range rows {
		out[r.TeamID] = append(out[r.TeamID], r.AgentID)
	}
	return out, nil
}

// openChats is the condition on agents (alias a) that counts their open
// chats: live with them, or offered to them.
const openChats = `(SELECT count(*) FROM chats AS oc WHERE oc.agent_id = a.id AND oc.status IN ('` +
	ChatQueued + `', '` + ChatLive + `'))`

// AgentLoad is an agent that may take a chat and how many they hold.
type AgentLoad struct {
	AgentID int64  `bun:"id"`
	Name    string `bun:"name"`
	Open    int64  `bun:"open"`
}

// FreeMembers returns the members of team teamID who are online (held by
// a console on some node), enabled and below their cap, but those in except:
// the fewest open chats first, then the longest idle. Auto routing
// offers a chat to the first; the offer itself checks the cap again
// (ChatAdvance.WithinCap), as another node may have filled it meanwhile.
func (s *Store) FreeMembers(ctx context.Context, teamID int64, except []int64) ([]AgentLoad, error) {
	var out []AgentLoad
	q := s.onlineAgents(s.db.NewSelect().Model((*Agent)(nil)).Column("a.id", "a.name").ColumnExpr(openChats+" AS open").
		Join("JOIN team_members AS tm ON tm.agent_id = a.id AND tm.team_id = ?", teamID)).
		Where(openChats + " < a.max_chats").
		OrderExpr("open, a.last_seen_at, a.id")
	if len(except) > 0 {
		q = q.Where("a.id NOT IN (?)", bun.List(except))
	}
	err := q.Scan(ctx, &out)
	return out, wrap(err, fmt.Sprintf("list the free members of team %d", teamID))
}

// TeamChatsToRoute returns up to MaxLimit queued chats of a team: they
// may need routing. (Live chats whose agent is gone are
// ChatsOfGoneAgents'.)
func (s *Store) TeamChatsToRoute(ctx context.Context) ([]Chat, error) {
	return list[Chat](ctx, s.db, "list team chats to route", func(q *bun.SelectQuery) *bun.SelectQuery {
		return Page{Limit: MaxLimit}.apply(q.Where("c.team_id IS NOT NULL").Where("c.status = ?", ChatQueued).
			Order("c.queued_at", "c.id"))
	})
}

// OpenChats counts the chats agentID holds against their cap: live with
// them, or offered to them.
func (s *Store) OpenChats(ctx context.Context, agentID int64) (int64, error) {
	n, err := s.db.NewSelect().Model((*Chat)(nil)).Where("c.agent_id = ?", agentID).
		Where("c.status IN (?)", bun.List([]string{ChatQueued, ChatLive})).Count(ctx)
	return int64(n), wrap(err, fmt.Sprintf("count the open chats of agent %d", agentID))
}
