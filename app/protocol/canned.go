package protocol

import "time"

// CannedResponse is a text an agent inserts by typing "/" and its
// shortcut in the console's composer (GET /api/CannedResponse).
type CannedResponse struct {
	ID       int64  `json:"id"`
	Shortcut string `json:"shortcut"`
	// Text may hold {{user.firstname}} (any user field), {{agent.name}}
	// and {{chat.CFname}} (a chat custom field by name or label),
	// each with an optional fallback: {{user.firstname|there}}.
	Text string `json:"text"`
	// TeamID limits it to a team's agents; null: every agent.
	TeamID    *int64    `json:"teamId"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CannedResponseInput is what POST and PUT /api/CannedResponse take.
type CannedResponseInput struct {
	ID       int64  `json:"id,omitempty"`
	Shortcut string `json:"shortcut"`
	Text     string `json:"text"`
	TeamID   *int64 `json:"teamId"`
}
