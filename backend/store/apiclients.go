package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// API client permissions the store names; auth.Permissions lists every
// permission a client may hold.
const (
	PermReadModifyUsers = "users:write"   // "Read & Modify Users": ChatMatchingData
	PermChatsRead       = "chats:read"    // read chats, their details and messages
	PermChatsWrite      = "chats:write"   // post messages, end chats, start chats (outreach)
	PermTicketsRead     = "tickets:read"  // list and read tickets
	PermTicketsWrite    = "tickets:write" // change a ticket's status and field values
	PermMetricsRead     = "metrics:read"  // scrape GET /metrics from another machine
)

// APIClient is a machine client that authenticates with client id + secret.
type APIClient struct {
	bun.BaseModel `bun:"table:api_clients,alias:ac"`

	ID          int64      `bun:"id,pk,autoincrement"`
	ClientID    string     `bun:"client_id"` // unique
	SecretHash  string     `bun:"secret_hash"`
	Name        string     `bun:"name"`
	Permissions StringList `bun:"permissions"`
	Disabled    bool       `bun:"disabled"`
	CreatedAt   time.Time  `bun:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at"`

	// ProfileIDs are the chat profiles the client is bound to: those its
	// ChatMatchingData may be used on, and those whose chats and tickets
	// it reaches over the chat API; empty: every profile.
	ProfileIDs StringList `bun:"profile_ids"`
}

// MayUseProfile reports whether the client is bound to the chat profile:
// may bind ChatMatchingData to it, and read (with chats:read) or write
// (with chats:write) its chats.
func (c *APIClient) MayUseProfile(profileID string) bool {
	return len(c.ProfileIDs) == 0 || slices.Contains(c.ProfileIDs, profileID)
}

// CreateAPIClient stores a new API client; the client id is unique (an
// empty one is generated).
func (s *Store) CreateAPIClient(ctx context.Context, c *APIClient) error {
	if c.ClientID == "" {
		c.ClientID = RandomID(16)
	}
	return create(ctx, s, "create API client", c, checkAPIClient)
}

func checkAPIClient(what string, c *APIClient) error {
	if c.SecretHash == "" {
		return invalid(what, "secret hash is empty")
	}
	return nil
}

// GetAPIClient returns the API client with that id.
func (s *Store) GetAPIClient(ctx context.Context, id int64) (*APIClient, error) {
	return getBy[APIClient](ctx, s.db, fmt.Sprintf("get API client %d", id), "id", id)
}

// GetAPIClientByClientID returns the API client with that client id.
func (s *Store) GetAPIClientByClientID(ctx context.Context, clientID string) (*APIClient, error) {
	return getBy[APIClient](ctx, s.db, fmt.Sprintf("get API client %q", clientID), "client_id", clientID)
}

// ListAPIClients returns every API client by name.
func (s *Store) ListAPIClients(ctx context.Context) ([]APIClient, error) {
	return list[APIClient](ctx, s.db, "list API clients", orderBy("ac.name", "ac.id"))
}

// UpdateAPIClient saves every field of c but its creation time.
func (s *Store) UpdateAPIClient(ctx context.Context, c *APIClient) error {
	return update(ctx, s, fmt.Sprintf("update API client %d", c.ID), c, checkAPIClient)
}

// DeleteAPIClient deletes an API client.
func (s *Store) DeleteAPIClient(ctx context.Context, id int64) error {
	return deleteWhere[APIClient](ctx, s, fmt.Sprintf("delete API client %d", id), "id = ?", id)
}
