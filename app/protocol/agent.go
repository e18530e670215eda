package protocol

// ChatDetails is what an agent sees about one chat beside its transcript
// (GET /api/Chat/{id}/details, agents only). It carries the chat's
// custom field values, so no visitor-facing body may embed it: the
// widget receives ChatState, which has none (SPEC §6).
type ChatDetails struct {
	Chat        ChatState `json:"chat"`
	ProfileName string    `json:"profileName"`
	// Context is where the chat was started: embedded, portal or agent.
	Context    string `json:"context"`
	HostOrigin string `json:"hostOrigin,omitempty"`
	// User is the chat's user; nil for an anonymous chat.
	User       *ChatUser `json:"user,omitempty"`
	AcceptedAt string    `json:"acceptedAt,omitempty"` // RFC 3339
	EndedAt    string    `json:"endedAt,omitempty"`
	// Flow is the bot flow the chat runs (nil: none).
	Flow *ChatFlowPosition `json:"flow,omitempty"`
	// Ticket is the ticket logged from the chat, if one was.
	Ticket *ChatTicket `json:"ticket,omitempty"`
	// Fields are the chat's custom field values, by database name.
	Fields []ChatFieldValue `json:"fields"`
}

// ChatUser is a chat's user as an agent sees it.
type ChatUser struct {
	ID         int64  `json:"id"`
	Name       string `json:"name,omitempty"`
	Username   string `json:"username,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
}

// ChatFlowPosition is the flow a chat runs and where in it the chat is.
type ChatFlowPosition struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Version int64  `json:"version"`
	// Step is the current step: the one waiting, or the last one run
	// (0 before the first).
	Step      int    `json:"step"`
	StepKind  string `json:"stepKind,omitempty"`
	StepTitle string `json:"stepTitle,omitempty"`
	// Status is the flow runner's status (awaiting_answer,
	// awaiting_agent, live, ended, …; empty before the start).
	Status string `json:"status,omitempty"`
}

// ChatTicket is the ticket logged from a chat.
type ChatTicket struct {
	ID      int64  `json:"id"`
	Summary string `json:"summary"`
	Status  string `json:"status"`
}

// ChatFieldValue is one chat custom field value.
type ChatFieldValue struct {
	Name  string `json:"name"` // the database name, CF…
	Label string `json:"label"`
	Value string `json:"value"`
}
