package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"unicode"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/store"
)

// Canned response limits.
const (
	maxShortcut   = 32
	maxCannedText = 4000
)

// accessAgent is a route any logged-in agent may call (and an API client
// with "admin").
const accessAgent = "agent"

func cannedRoutes(a *IdentityAPI, admin string) []apiRoute {
	cr := a.canned()
	return []apiRoute{
		{"GET", "/api/CannedResponse", accessAgent, "List canned responses by shortcut: an admin gets every one, an agent those for every agent and for its teams", "", "[]CannedResponse", 200, cr.listAll},
		{"POST", "/api/CannedResponse", admin, "Create a canned response (shortcut unique: 409 when taken)", "CannedResponseInput", "CannedResponse", 201, cr.createOne},
		{"GET", "/api/CannedResponse/{id}", admin, "Get a canned response", "", "CannedResponse", 200, cr.getOne},
		{"PUT", "/api/CannedResponse/{id}", admin, "Update a canned response", "CannedResponseInput", "CannedResponse", 200, cr.updateOne},
		{"DELETE", "/api/CannedResponse/{id}", admin, "Delete a canned response", "", "", 204, cr.deleteOne},
	}
}

func cannedJSON(c *store.CannedResponse) protocol.CannedResponse {
	j := protocol.CannedResponse{ID: c.ID, Shortcut: c.Shortcut, Text: c.Text, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.TeamID != 0 {
		team := c.TeamID
		j.TeamID = &team
	}
	return j
}

// canned are the canned responses (/api/CannedResponse).
func (a *IdentityAPI) canned() resource[store.CannedResponse, protocol.CannedResponseInput, protocol.CannedResponse] {
	return resource[store.CannedResponse, protocol.CannedResponseInput, protocol.CannedResponse]{
		load: func(ctx context.Context, r *http.Request) (*store.CannedResponse, error) {
			return byPathID(ctx, r, "canned response", a.Store.GetCannedResponse)
		},
		list:   a.listCanned,
		show:   shown(cannedJSON),
		build:  a.buildCanned,
		create: a.Store.CreateCannedResponse,
		update: a.Store.UpdateCannedResponse,
		taken: func(c *store.CannedResponse) error {
			return apiConflict("shortcut: %q is another canned response's", c.Shortcut)
		},
		remove: func(ctx context.Context, c *store.CannedResponse) error {
			return a.Store.DeleteCannedResponse(ctx, c.ID)
		},
	}
}

// listCanned reads the canned responses the caller may use: an admin
// (or API client) every one, an agent those for everyone and for the
// teams AgentTeams says it is in.
func (a *IdentityAPI) listCanned(r *http.Request) ([]store.CannedResponse, error) {
	ag := auth.AgentFrom(r.Context())
	if ag == nil || ag.Role == store.RoleAdmin || a.AgentTeams == nil {
		return a.Store.ListCannedResponses(r.Context(), true, nil)
	}
	teams, err := a.AgentTeams(r.Context(), ag.ID)
	if err != nil {
		return nil, err
	}
	return a.Store.ListCannedResponses(r.Context(), false, teams)
}

// buildCanned checks a canned response's input: its shortcut, its text
// and its team (an existing team's id, or null for every agent).
func (a *IdentityAPI) buildCanned(ctx context.Context, cur *store.CannedResponse, in *protocol.CannedResponseInput) (*store.CannedResponse, error) {
	if cur != nil {
		if err := pathIDIs(in.ID, cur.ID); err != nil {
			return nil, err
		}
	}
	shortcut := strings.TrimPrefix(strings.TrimSpace(in.Shortcut), "/")
	if err := checkShortcut(shortcut); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(in.Text)
	if err := checkCannedText(text); err != nil {
		return nil, err
	}
	var team int64
	if in.TeamID != nil {
		if *in.TeamID <= 0 {
			return nil, apiInvalid("teamId", "must be a team's id (a positive number) or null for every agent")
		}
		team = *in.TeamID
		_, err := a.Store.GetTeam(ctx, team)
		if errors.Is(err, store.ErrNotFound) {
			return nil, apiInvalid("teamId", "no team %d", team)
		}
		if err != nil {
			return nil, fmt.Errorf("read team %d of canned response: %w", team, err)
		}
	}
	if cur == nil {
		cur = &store.CannedResponse{}
	}
	cur.Shortcut, cur.Text, cur.TeamID = shortcut, text, team
	return cur, nil
}

// checkShortcut allows 1–32 letters, digits, '-' and '_': what an agent
// types after "/" and nothing a composer would end a word at.
func checkShortcut(s string) error {
	if s == "" {
		return apiInvalid("shortcut", "is required")
	}
	if len([]rune(s)) > maxShortcut {
		return apiInvalid("shortcut", "is longer than %d characters", maxShortcut)
	}
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '-' && c != '_' {
			return apiInvalid("shortcut", "may hold letters, digits, '-' and '_' only, not %q", c)
		}
	}
	return nil
}

// checkCannedText allows several lines (and tabs) of at most 4000
// characters, no other control character.
func checkCannedText(s string) error {
	if s == "" {
		return apiInvalid("text", "is required")
	}
	if len([]rune(s)) > maxCannedText {
		return apiInvalid("text", "is longer than %d characters", maxCannedText)
	}
	for _, c := range s {
		if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f {
			return apiInvalid("text", "holds a control character")
		}
	}
	return nil
}

// cannedComponents are the canned responses' schemas.
func cannedComponents(times map[string]jsonObj) []oaComponent {
	notes := map[string]jsonObj{
		"id":       oaNote("read-only; optional in a body: the id in the path when given"),
		"shortcut": oaNote("unique; 1–32 letters, digits, '-' and '_' (a leading '/' is dropped): agents type /shortcut in the composer"),
		"text":     oaNote("1–4000 characters, several lines; placeholders {{user.firstname}} (any user field), {{agent.name}}, {{chat.CFname}} (by name or label), each with an optional |fallback, filled in by the console"),
		"teamId":   oaNote("an existing team's id, whose agents see it (400 when no team has it); null: every agent"),
	}
	return []oaComponent{
		{"CannedResponse", reflect.TypeFor[protocol.CannedResponse](), nil, oaWith(times, notes)},
		{"CannedResponseInput", reflect.TypeFor[protocol.CannedResponseInput](), []string{"shortcut", "text"}, notes},
	}
}
