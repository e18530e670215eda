package protocol

import "time"

// The accounts of the admin REST API: agents (/api/Agent), API clients
// (/api/APIClient), and the agent logged in to the console (/auth/me,
// /auth/login).

// Me is the logged-in agent (GET /auth/me; the agent of POST /auth/login).
type Me struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"` // "agent" | "admin"
}

// LoginRequest is the body of an e-mail and password login: an agent's
// (POST /auth/login) or a portal user's (POST /portal/api/login).
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// AgentLogin answers POST /auth/login: the agent, the session token (also
// set as a cookie) and its lifetime.
type AgentLogin struct {
	Agent     Me     `json:"agent"`
	ExpiresIn int    `json:"expires_in"` // seconds
	Token     string `json:"token"`
}

// Agent is an agent (or admin) account as the admin API shows it.
type Agent struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`     // "agent" | "admin"
	Presence string `json:"presence"` // offline | online | away
	Disabled bool   `json:"disabled"`
	// MaxChats caps the chats the agent holds at once (live, or offered
	// to them); 0 on input: 5 for a new agent, unchanged on an update.
	MaxChats   int64      `json:"maxChats"`
	LastSeenAt *time.Time `json:"lastSeenAt"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
}

// AgentInput is what POST and PUT take. password is required at creation
// (10 to 72 bytes) and, when given on PUT, replaces the old one; id,
// presence, lastSeenAt and the times are read-only.
type AgentInput struct {
	Agent
	Password string `json:"password,omitempty"`
}

// APIClient is an API client as the admin API shows it: never its secret.
type APIClient struct {
	ID          int64     `json:"id"`
	ClientID    string    `json:"clientId"`
	Name        string    `json:"name"`
	Permissions []string  `json:"permissions"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`

	// ProfileIDs are the chat profiles the client's ChatMatchingData may
	// be used on, set by an admin; empty: every profile.
	ProfileIDs []string `json:"profileIds"`
}

// APIClientWithSecret is an API client with its secret, answered once:
// when it is created or its secret replaced. Only a hash is stored.
type APIClientWithSecret struct {
	APIClient
	ClientSecret string `json:"clientSecret"`
}

// APIClientInput is what POST and PUT take. clientId may be chosen at
// creation (letters, digits, '-', '_', '.'; generated when empty) and
// cannot change; id and the times are read-only.
type APIClientInput struct {
	APIClient
}
