package store

import (
	"context"
	"errors"
	"testing"

	"halochat/backend/testenv"
)

// A team's canned responses outlive it as every agent's: DeleteTeam does
// it in the delete's transaction, and migrationCannedOrphans did it for
// those whose team went before.
func TestCannedResponsesOutliveTheirTeam(t *testing.T) {
	testenv.ForEachStore(t, Open, func(t *testing.T, s *Store) {
		ctx := context.Background()
		team := &Team{Name: "Billing", Mode: TeamManual}
		must(t, s.CreateTeam(ctx, team))
		refund := &CannedResponse{Shortcut: "refund", Text: "Refunds take 5 days.", TeamID: team.ID}
		must(t, s.CreateCannedResponse(ctx, refund))
		must(t, s.DeleteTeam(ctx, team.ID))
		if got, err := s.GetCannedResponse(ctx, refund.ID); err != nil || got.TeamID != 0 {
			t.Errorf("after DeleteTeam: %+v, %v; want team 0 (every agent)", got, err)
		}
		if err := s.DeleteTeam(ctx, team.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeleteTeam again: %v, want ErrNotFound", err)
		}

		// A row left naming a deleted team, as before DeleteTeam saw to it.
		orphan := &CannedResponse{Shortcut: "orphan", Text: "x", TeamID: team.ID}
		must(t, s.CreateCannedResponse(ctx, orphan))
		for _, stmt := range splitSQL(dialectSQL(s.Dialect(), migrationCannedOrphans)) {
			if _, err := s.DB().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("migrationCannedOrphans: %v", err)
			}
		}
		if got, err := s.GetCannedResponse(ctx, orphan.ID); err != nil || got.TeamID != 0 {
			t.Errorf("after the migration: %+v, %v; want team 0", got, err)
		}
	})
}
