package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"halochat/app/protocol"
	"halochat/backend/store"
)

func teamRoutes(a *IdentityAPI, admin string) []apiRoute {
	teams := a.teams()
	return []apiRoute{
		{"GET", "/api/Team", admin, "List teams with their members", "", "[]Team", 200, teams.listAll},
		{"POST", "/api/Team", admin, "Create a team: name, members (agent ids), mode manual (its own queue, members accept) or auto (each chat offered to the online member with the fewest open chats below their cap), acceptTimeout in seconds (default 60; 0 waits on)", "TeamInput", "Team", 201, teams.createOne},
		{"GET", "/api/Team/{id}", admin, "Get a team", "", "Team", 200, teams.getOne},
		{"PUT", "/api/Team/{id}", admin, "Replace a team's name, members, mode and accept timeout", "TeamInput", "Team", 200, teams.updateOne},
		{"DELETE", "/api/Team/{id}", admin, "Delete a team (its chats go on without it: any agent may take them; a flow's transfer step naming it then queues for any agent)", "", "", 204, teams.deleteOne},
	}
}

func teamJSON(t *store.Team) protocol.Team {
	j := protocol.Team{ID: t.ID, Name: t.Name, Mode: t.Mode, Members: t.Members, AcceptTimeout: t.AcceptTimeout,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if j.Members == nil {
		j.Members = []int64{}
	}
	return j
}

// teams are the teams of agents (/api/Team).
func (a *IdentityAPI) teams() resource[store.Team, protocol.TeamInput, protocol.Team] {
	return resource[store.Team, protocol.TeamInput, protocol.Team]{
		load: func(ctx context.Context, r *http.Request) (*store.Team, error) {
			return byPathID(ctx, r, "team", a.Store.GetTeam)
		},
		list:   all(a.Store.ListTeams),
		show:   shown(teamJSON),
		build:  a.buildTeam,
		create: a.Store.CreateTeam,
		update: a.Store.UpdateTeam,
		taken: func(t *store.Team) error {
			return apiConflict("name: a team %q exists", t.Name)
		},
		remove: func(ctx context.Context, t *store.Team) error { return a.Store.DeleteTeam(ctx, t.ID) },
	}
}

// defaultAcceptTimeout is a new team's accept timeout, in seconds, when
// the input gives none.
const defaultAcceptTimeout = 60

// buildTeam validates in and returns the team to store: a new one when
// cur is nil, else cur as in changes it. Each member must be an agent.
func (a *IdentityAPI) buildTeam(ctx context.Context, cur *store.Team, in *protocol.TeamInput) (*store.Team, error) {
	if cur != nil {
		if err := pathIDIs(in.ID, cur.ID); err != nil {
			return nil, err
		}
	}
	if err := textField("name", in.Name, true, 200); err != nil {
		return nil, err
	}
	mode := in.Mode
	if mode == "" {
		mode = store.TeamManual
	}
	if mode != store.TeamManual && mode != store.TeamAuto {
		return nil, apiInvalid("mode", `must be "manual" or "auto", not %q`, in.Mode)
	}
	if in.AcceptTimeout < 0 || in.AcceptTimeout > store.MaxAcceptTimeout {
		return nil, apiInvalid("acceptTimeout", "must be between 0 and %d seconds, not %d", store.MaxAcceptTimeout, in.AcceptTimeout)
	}
	for i, id := range in.Members {
		_, err := a.Store.GetAgent(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, apiInvalid(fmt.Sprintf("members[%d]", i), "no agent %d", id)
		}
		if err != nil {
			return nil, err
		}
	}
	next := &store.Team{AcceptTimeout: defaultAcceptTimeout}
	if cur != nil {
		next = cur
	}
	next.Name, next.Mode, next.Members = strings.TrimSpace(in.Name), mode, append([]int64{}, in.Members...)
	if in.AcceptTimeout != 0 || cur != nil {
		next.AcceptTimeout = in.AcceptTimeout
	}
	return next, nil
}
