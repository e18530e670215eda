package demo

import (
	"context"
	"errors"
	"fmt"

	"halochat/backend/secret"
	"halochat/backend/store"
)

// Seed derives the demo's credentials from the demo profile's HS256
// secret; the same derivations recognise that secret wherever it is.
const (
	apiClientSecretPurpose = "demo api client secret"
	adminPasswordPurpose   = "demo admin password"
)

// PublishedSecretHolders names the chat profiles that hold the HS256
// identity secret `halochat demo` seeded and printed (in data/demo.json
// too): anyone who read it can sign identity tokens for them. A secret
// is the demo's when the demo API client's secret or the demo admin's
// password was derived from it (Seed), so a copy in another profile is
// found too, and a profile given a new secret no longer is.
func PublishedSecretHolders(ctx context.Context, st *store.Store) ([]string, error) {
	profiles, err := st.ListProfiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("look for the demo's identity secret: %w", err)
	}
	client, err := st.GetAPIClientByClientID(ctx, APIClientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("look for the demo's identity secret: %w", err)
	}
	admin, err := st.GetAgentByEmail(ctx, AdminEmail)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("look for the demo's identity secret: %w", err)
	}
	published := func(s string) bool {
		return (client != nil && secret.CheckKey(client.SecretHash, secret.Derive(s, apiClientSecretPurpose, 24))) ||
			(admin != nil && secret.CheckPassword(admin.PasswordHash, secret.Derive(s, adminPasswordPurpose, 15)))
	}
	var holders []string
	for _, p := range profiles {
		for _, s := range p.Identity.HS256Secrets {
			if published(s.Secret) {
				holders = append(holders, p.Name)
				break
			}
		}
	}
	return holders, nil
}
