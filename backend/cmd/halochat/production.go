package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"halochat/backend/demo"
	"halochat/backend/store"
)

// productionCheck refuses what must not run in production (serve
// --production): the demo's accounts, whose passwords `halochat demo`
// prints, and its HS256 identity secret, printed too; an http public URL
// (session cookies must be Secure); lifted abuse limits.
func productionCheck(ctx context.Context, st *store.Store, publicURL, limits string) error {
	var problems []string
	if !strings.HasPrefix(publicURL, "https://") {
		problems = append(problems, "--public-url must be an https:// URL (session cookies are Secure only then)")
	}
	if limits == "benchmark" {
		problems = append(problems, "--limits benchmark lifts every abuse limit")
	}
	for _, email := range []string{demo.AgentEmail, demo.AdminEmail} {
		a, err := st.GetAgentByEmail(ctx, email)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("production check: %w", err)
		case !a.Disabled:
			problems = append(problems, fmt.Sprintf("the demo account %s exists (its password is printed by `halochat demo`): disable it", email))
		}
	}
	u, err := st.GetUserByEmail(ctx, demo.PortalEmail)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("production check: %w", err)
	case !u.Disabled:
		problems = append(problems, fmt.Sprintf("the demo portal user %s exists (its password is printed by `halochat demo`): disable it", demo.PortalEmail))
	}
	c, err := st.GetAPIClientByClientID(ctx, demo.APIClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("production check: %w", err)
	case !c.Disabled:
		problems = append(problems, fmt.Sprintf("the demo API client %s exists (its secret is printed by `halochat demo`): disable it", demo.APIClientID))
	}
	holders, err := demo.PublishedSecretHolders(ctx, st)
	if err != nil {
		return fmt.Errorf("production check: %w", err)
	}
	for _, name := range holders {
		problems = append(problems, fmt.Sprintf("chat profile %q holds the demo's HS256 identity secret (printed by `halochat demo`: anyone can sign identity tokens with it): give it a new secret", name))
	}
	if len(problems) > 0 {
		return fmt.Errorf("refusing to start in production mode:\n  - %s", strings.Join(problems, "\n  - "))
	}
	return nil
}
