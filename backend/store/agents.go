package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Agent roles.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// DefaultMaxChats is an agent's cap on open chats unless set;
// MaxMaxChats the highest cap.
const (
	DefaultMaxChats = 5
	MaxMaxChats     = 1000
)

// Agent is a person who logs in to the agent console (and, as admin, the
// admin pages).
type Agent struct {
	bun.BaseModel `bun:"table:agents,alias:a"`

	ID           int64  `bun:"id,pk,autoincrement"`
	Email        string `bun:"email"` // normalised; unique
	Name         string `bun:"name"`  // shown to visitors
	PasswordHash string `bun:"password_hash"`
	Role         string `bun:"role"`     // RoleAdmin | RoleAgent
	Presence     string `bun:"presence"` // Presence* constant
	Disabled     bool   `bun:"disabled"`
	// MaxChats caps the chats the agent holds at once (live, or offered
	// to them): accepts, auto routing and transfers past it are refused.
	MaxChats   int64     `bun:"max_chats"`
	LastSeenAt time.Time `bun:"last_seen_at,nullzero"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

func checkAgent(what string, a *Agent) error {
	a.Email = NormalizeEmail(a.Email)
	if a.Email == "" {
		return invalid(what, "email is empty")
	}
	if a.Presence == "" {
		a.Presence = PresenceOffline
	}
	if a.MaxChats == 0 {
		a.MaxChats = DefaultMaxChats
	}
	if a.MaxChats < 0 || a.MaxChats > MaxMaxChats {
		return invalid(what, "max chats %d is not between 1 and %d", a.MaxChats, MaxMaxChats)
	}
	if err := oneOf(what, "role", a.Role, RoleAdmin, RoleAgent); err != nil {
		return err
	}
	return oneOf(what, "presence", a.Presence, PresenceOffline, PresenceOnline, PresenceAway)
}

// CreateAgent stores a new agent; the e-mail address is unique. An empty
// presence means offline.
func (s *Store) CreateAgent(ctx context.Context, a *Agent) error {
	return create(ctx, s, "create agent", a, checkAgent)
}

// GetAgent returns the agent with that id.
func (s *Store) GetAgent(ctx context.Context, id int64) (*Agent, error) {
	return getBy[Agent](ctx, s.db, fmt.Sprintf("get agent %d", id), "id", id)
}

// GetAgentByEmail returns the agent with that e-mail address (any case).
func (s *Store) GetAgentByEmail(ctx context.Context, email string) (*Agent, error) {
	email = NormalizeEmail(email)
	return getBy[Agent](ctx, s.db, fmt.Sprintf("get agent with e-mail %q", email), "email", email)
}

// ListAgents returns every agent by name.
func (s *Store) ListAgents(ctx context.Context) ([]Agent, error) {
	return list[Agent](ctx, s.db, "list agents", orderBy("a.name", "a.id"))
}

// UpdateAgent saves every field of a but its creation time.
func (s *Store) UpdateAgent(ctx context.Context, a *Agent) error {
	return update(ctx, s, fmt.Sprintf("update agent %d", a.ID), a, checkAgent)
}
