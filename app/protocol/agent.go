package protocol

import (
	"encoding/json"
	"time"
)

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
	// Rating is the visitor's rating of the chat, if they gave one.
	Rating *ChatRating `json:"rating,omitempty"`
}

// MessageList answers GET /api/ChatMessage: a chat's messages after a
// sequence number (?after=, or Halo's ?last_id=), up to one (Halo's
// ?max_id=).
type MessageList struct {
	Messages []ChatMessage `json:"messages"`
}

// AgentMessage is the body of POST /api/ChatMessage: the chat's agent
// writes, or an API client (answered with an Ack). Halo's clients send
// an array of them ({chat_id, text} each), answered with an array of
// PostedMessage in the same order.
type AgentMessage struct {
	ChatID string `json:"chat_id"`
	// ClientMsgID, when given (1–100 bytes), makes a resend idempotent:
	// it is acknowledged again (Duplicate) and stored once.
	ClientMsgID string `json:"client_msg_id,omitempty"`
	Text        string `json:"text"`
	// AgentID (API clients only) posts as that agent, into a chat live
	// with it; without it an API client's message is the bot's, under
	// the client's name.
	AgentID int64 `json:"agent_id,omitempty"`
	// Internal makes the message an internal note: agents read it, the
	// visitor never. Any agent who may read the chat may add one (an API
	// client names the agent with agent_id).
	Internal bool `json:"internal,omitempty"`
}

// PostedMessage answers one message of an array POST /api/ChatMessage.
type PostedMessage struct {
	ChatID string `json:"chat_id"`
	Ack
}

// OutreachRequest is the body of POST /api/Chat: start a chat for a user
// with a first message (proactive outreach), answered 201 with the
// ChatTranscript (200 with the same chat for a resend of the same
// client_msg_id).
type OutreachRequest struct {
	ChatProfileID string `json:"chatprofile_id"`
	// The user, by external id or e-mail address (found as an identity
	// token's user is, or created).
	UserExternalID string `json:"user_external_id,omitempty"`
	UserEmail      string `json:"user_email,omitempty"`
	Text           string `json:"text"`
	ClientMsgID    string `json:"client_msg_id,omitempty"`
	// AgentID (API clients only): the message is that agent's and the
	// chat is live with it; an agent session posts as itself.
	AgentID int64 `json:"agent_id,omitempty"`
}

// TicketUpdate is the body of PUT /api/Tickets/{id} (answered with the
// TicketDetail): a new status (open or closed), and custom field values
// by database name, each a JSON value that fits the field's type (null
// clears it). Fields left out keep their values.
type TicketUpdate struct {
	Status *string                    `json:"status,omitempty"`
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
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
	// Rating is the visitor's rating of the chat, if they gave one.
	Rating *ChatRating `json:"rating,omitempty"`
}

// ChatUser is a chat's user as an agent sees it.
type ChatUser struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
	// FirstName and LastName fill a canned response's placeholders.
	FirstName  string `json:"firstName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
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
