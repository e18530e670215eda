package protocol

import (
	"encoding/json"
	"time"

	"halochat/app/flow"
)

// The admin REST API's bot flows (/api/ChatFlow): a flow is a name and a
// list of immutable versions, each a flow document (app/flow).

// ChatFlow is a flow as the list shows it.
type ChatFlow struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	CurrentVersion int64     `json:"currentVersion"` // 0 until a version is saved
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// ChatFlowDetail is a flow with one version's document (the current one
// for GET /api/ChatFlow/{id}; null while the flow has no version).
type ChatFlowDetail struct {
	ChatFlow
	Version  int64           `json:"version"`
	Document json.RawMessage `json:"document"`
	// Warnings are doubtful but valid things app/flow noticed (a step no
	// branch reaches, …), for the editor to show.
	Warnings []flow.Problem `json:"warnings"`
}

// ChatFlowVersion is one saved version
// (GET /api/ChatFlow/{id}/versions/{v}).
type ChatFlowVersion struct {
	FlowID    int64           `json:"flowId"`
	Version   int64           `json:"version"`
	Document  json.RawMessage `json:"document"`
	CreatedAt time.Time       `json:"createdAt"`
}

// ChatFlowCreate is the body of POST /api/ChatFlow: a name, and
// optionally the first version's document.
type ChatFlowCreate struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document,omitempty"`
}

// ChatFlowSave is the body of PUT /api/ChatFlow/{id}: the new version's
// document and the version the editor started from (0 for a flow with
// none yet).
type ChatFlowSave struct {
	BaseVersion int64           `json:"baseVersion"`
	Document    json.RawMessage `json:"document"`
	// Name renames the flow when set.
	Name string `json:"name,omitempty"`
}
