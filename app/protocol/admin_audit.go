package protocol

import "time"

// AuditEntry is one row of the audit log (GET /api/AuditLog): a change
// made through the admin API.
type AuditEntry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// ActorType is "agent" (ActorID an agent's id), "client" (an API
	// client's id) or "system".
	ActorType string `json:"actorType"`
	ActorID   int64  `json:"actorId"`
	ActorName string `json:"actorName"`
	// Address is the client's IP address.
	Address  string `json:"address"`
	Entity   string `json:"entity"`
	EntityID string `json:"entityId"`
	Action   string `json:"action"`
	// Changes maps each changed field to {"from", "to"} ("to" alone for a
	// create), or to "changed" for a secret: its value is never logged.
	Changes map[string]any `json:"changes"`
}
