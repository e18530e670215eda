package protocol

import "time"

// The agents' chat REST API (/api/Chat, /api/ChatMessage, /api/Tickets;
// backend/chatapi): agents and API clients read chats, transcripts and
// tickets, and answer chats, with these bodies.

// ChatList answers GET /api/Chat: chats, newest first.
type ChatList struct {
	Chats []ChatState `json:"chats"`
}

// ChatTranscript answers GET /api/Chat/{id}: the chat and its transcript.
type ChatTranscript struct {
	Chat     ChatState     `json:"chat"`
	Messages []ChatMessage `json:"messages"`
}

// MessageList answers GET /api/ChatMessage: a chat's messages after a
// sequence number.
type MessageList struct {
	Messages []ChatMessage `json:"messages"`
}

// AgentMessage is the body of POST /api/ChatMessage: the chat's agent
// writes (answered with an Ack).
type AgentMessage struct {
	ChatID      string `json:"chat_id"`
	ClientMsgID string `json:"client_msg_id"`
	Text        string `json:"text"`
}

// AgentTyping is the body of POST /api/ChatMessage/IsTyping.
type AgentTyping struct {
	ChatID string `json:"chat_id"`
	Typing bool   `json:"typing"`
}

// Ticket is a ticket logged from a chat or for a user, as the agents' API
// shows it (GET /api/Tickets). Unlike the rest of the API its JSON keys
// are capitalised (ID, ChatID, …): the API's clients read them so.
type Ticket struct {
	ID           int64     `json:"ID"`
	TicketTypeID int64     `json:"TicketTypeID"`
	UserID       int64     `json:"UserID"`
	ChatID       string    `json:"ChatID"`
	Summary      string    `json:"Summary"`
	Details      string    `json:"Details"` // the transcript, as text
	Status       string    `json:"Status"`  // open | closed
	CreatedAt    time.Time `json:"CreatedAt"`
	UpdatedAt    time.Time `json:"UpdatedAt"`
}

// TicketList answers GET /api/Tickets.
type TicketList struct {
	Tickets []Ticket `json:"tickets"`
}

// TicketDetail answers GET /api/Tickets/{id}: a ticket with its custom
// field values.
type TicketDetail struct {
	Ticket
	Fields []TicketField `json:"fields"`
}

// TicketField is one ticket custom field value.
type TicketField struct {
	FieldID int64  `json:"field_id"`
	Name    string `json:"name"` // the database name, CF…
	Label   string `json:"label"`
	Value   string `json:"value"`
}

// ChatDetails is what an agent sees about one chat beside its transcript
// (GET /api/Chat/{id}/details, agents only). It carries the chat's
// custom field values, so no visitor-facing body may embed it: the
// widget receives ChatState, which has none: chat custom fields are
// never shown to the visitor (docs/CONTRACT.md#chat-custom-fields).
type ChatDetails struct {
	Chat        ChatState `json:"chat"`
	ProfileName string    `json:"profileName"`
	// Context is where the chat was started: embedded, portal or agent.
	Context    string `json:"context"`
	HostOrigin string `json:"hostOrigin,omitempty"`
	// User is the chat's user; nil for an anonymous chat. For a chat no
	// one signed in to it is the hint user a trusted e-mail hint names:
	// no one's account.
	User *ChatUser `json:"user,omitempty"`
	// UnverifiedEmail is the e-mail address the host page's session
	// storage key gave (docs/CONTRACT.md#email-hint): anyone can set it,
	// so it proves nothing.
	UnverifiedEmail string `json:"unverifiedEmail,omitempty"`
	AcceptedAt      string `json:"acceptedAt,omitempty"` // RFC 3339
	EndedAt         string `json:"endedAt,omitempty"`
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
