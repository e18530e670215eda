package protocol

// The system event a transfer stores when it finds nobody in
// (ChatMessage.Event), with its reason (ChatMessage.Reason): the widget
// then offers the leave-a-message form (POST /chat/api/v1/offline).
const (
	EventNobodyIn = "nobody_in"
	// NobodyInClosed: outside the profile's opening hours, or a holiday.
	NobodyInClosed = "closed"
	// NobodyInNoAgent: open, but no agent is online.
	NobodyInNoAgent = "no_agent"
)

// Limits of the leave-a-message form, in characters.
const (
	MaxOfflineNameLength  = 200
	MaxOfflineEmailLength = 254
	MaxOfflineTextLength  = 4000
)

// OfflineMessageRequest is the body of POST /chat/api/v1/offline: the
// leave-a-message form the widget shows when nobody is in. Like a start it
// comes from the widget (the service's own origin); HostOrigin is the
// embedding page's origin, checked against the profile's allowed origins.
// IDToken, when the page gave one, names the user and fills the chat
// custom fields the ticket's fields are copied from.
type OfflineMessageRequest struct {
	ConfigID   string `json:"configId"`
	ConfigKey  string `json:"configKey"`
	HostOrigin string `json:"hostOrigin"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email"`
	Text       string `json:"text"`
	IDToken    string `json:"id_token,omitempty"`
}

// OfflineMessageResponse answers an offline message: the ticket it logged.
type OfflineMessageResponse struct {
	TicketID int64 `json:"ticketId"`
}

// FieldProblem is one bad field of a refused request (APIError.Problems
// when there are several).
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
