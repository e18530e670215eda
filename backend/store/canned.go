package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// CannedResponse is a text agents insert in their composer by typing
// "/" and its shortcut. Its text may hold the placeholders of bot texts
// ({{user.firstname}}, {{chat.CFname}}) and {{agent.name}}; the console
// fills them in before the agent sends it.
type CannedResponse struct {
	bun.BaseModel `bun:"table:canned_responses,alias:cr"`

	ID       int64  `bun:"id,pk,autoincrement"`
	Shortcut string `bun:"shortcut"` // unique
	Text     string `bun:"text"`
	// TeamID limits it to one team's agents; 0: every agent.
	TeamID    int64     `bun:"team_id,nullzero"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// CreateCannedResponse stores a new canned response; ErrConflict when
// its shortcut is taken.
func (s *Store) CreateCannedResponse(ctx context.Context, c *CannedResponse) error {
	return create(ctx, s, "create canned response", c, nil)
}

// GetCannedResponse returns the canned response with that id.
func (s *Store) GetCannedResponse(ctx context.Context, id int64) (*CannedResponse, error) {
	return getBy[CannedResponse](ctx, s.db, fmt.Sprintf("get canned response %d", id), "id", id)
}

// UpdateCannedResponse saves every field of c but its creation time.
func (s *Store) UpdateCannedResponse(ctx context.Context, c *CannedResponse) error {
	return update(ctx, s, fmt.Sprintf("update canned response %d", c.ID), c, nil)
}

// DeleteCannedResponse deletes a canned response.
func (s *Store) DeleteCannedResponse(ctx context.Context, id int64) error {
	return deleteWhere[CannedResponse](ctx, s, fmt.Sprintf("delete canned response %d", id), "id = ?", id)
}

// ListCannedResponses returns canned responses by shortcut: every one
// when all is set, else those for every agent and those of teams.
func (s *Store) ListCannedResponses(ctx context.Context, all bool, teams []int64) ([]CannedResponse, error) {
	return list[CannedResponse](ctx, s.db, "list canned responses", func(q *bun.SelectQuery) *bun.SelectQuery {
		if !all {
			q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				q = q.Where("cr.team_id IS NULL")
				if len(teams) > 0 {
					q = q.WhereOr("cr.team_id IN (?)", bun.List(teams))
				}
				return q
			})
		}
		return q.Order("cr.shortcut")
	})
}
