package protocol

import "time"

// Team routing modes (Team.Mode).
const (
	TeamModeManual = "manual" // the team's queue: a member accepts
	TeamModeAuto   = "auto"   // offered to the online member with the fewest open chats, below their cap
)

// Team is a team of agents as the admin API shows it (/api/Team).
type Team struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Mode string `json:"mode"` // TeamModeManual | TeamModeAuto
	// Members are the agents' ids, ascending.
	Members []int64 `json:"members"`
	// AcceptTimeout is how many seconds a chat waits for an accept
	// before it goes to the next member or, when nobody can take it, to
	// its fallback; 0 waits on.
	AcceptTimeout int64     `json:"acceptTimeout"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

// TeamInput is what POST and PUT /api/Team take; id and the times are
// read-only.
type TeamInput struct {
	Team
}

// TransferTargets is GET /api/TransferTargets: whom an agent may hand a
// chat to (POST /api/Chat/{id}/transfer).
type TransferTargets struct {
	Agents []TransferAgent `json:"agents"` // enabled agents, by name
	Teams  []TransferTeam  `json:"teams"`  // by name
}

// TransferAgent is an agent a chat may be handed to.
type TransferAgent struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Online bool   `json:"online"`
}

// TransferTeam is a team a chat may be handed to.
type TransferTeam struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Mode string `json:"mode"`
}
