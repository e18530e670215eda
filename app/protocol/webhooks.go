package protocol

import (
	"encoding/json"
	"time"
)

// Webhook event types: what a webhook subscribes to, and the "type" of
// each delivery's body (README.md#webhooks).
const (
	WebhookChatStarted     = "chat.started"
	WebhookChatMessage     = "chat.message"
	WebhookChatAssigned    = "chat.assigned"
	WebhookChatTransferred = "chat.transferred"
	WebhookChatEnded       = "chat.ended"
	WebhookChatRated       = "chat.rated"
	WebhookTicketCreated   = "ticket.created"
	WebhookTicketUpdated   = "ticket.updated"
	// WebhookUserErased says a person's data was erased (POST
	// /api/User/{id}/erase): the user's id, never what was erased.
	WebhookUserErased = "user.erased"
)

// WebhookEventTypes lists every event type a webhook may subscribe to.
func WebhookEventTypes() []string {
	return []string{WebhookChatStarted, WebhookChatMessage, WebhookChatAssigned, WebhookChatTransferred,
		WebhookChatEnded, WebhookChatRated, WebhookTicketCreated, WebhookTicketUpdated, WebhookUserErased}
}

// WebhookEvent is the body of every delivery (Standard Webhooks'
// {type, timestamp, data}). Data is one of the Webhook*Data types below,
// chosen by Type.
type WebhookEvent struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"` // when the change was committed, UTC
	Data      json.RawMessage `json:"data"`
}

// WebhookChatData is the data of chat.started, chat.assigned,
// chat.transferred and chat.ended.
type WebhookChatData struct {
	ChatID    string `json:"chat_id"`
	ProfileID string `json:"profile_id"`
	// UserID is the chat's user (a token's, a portal user's), null for
	// an anonymous chat.
	UserID *int64 `json:"user_id"`
	// AgentID is the agent holding the chat (null while none does): the
	// new one on chat.assigned and chat.transferred.
	AgentID *int64 `json:"agent_id"`
	// FromAgentID (chat.transferred) is the agent who held it before.
	FromAgentID *int64 `json:"from_agent_id,omitempty"`
	// TeamID (chat.transferred) is the team the chat went to, if any.
	TeamID *int64 `json:"team_id,omitempty"`
	// Status is the chat's status after the change: bot, queued, live or
	// ended.
	Status string `json:"status"`
	// Reason (chat.ended) is why it ended (visitor, agent, idle, flow,
	// logout…, as the widget's chatEnded event says).
	Reason string `json:"reason,omitempty"`
	// TicketID (chat.ended) is the ticket logged from the chat, if any.
	TicketID *int64 `json:"ticket_id,omitempty"`
}

// WebhookMessageData is the data of chat.message: a visitor's, an
// agent's or the bot's message (system notes such as "agent joined" are
// not sent: chat.assigned and chat.ended say it).
type WebhookMessageData struct {
	ChatID    string `json:"chat_id"`
	ProfileID string `json:"profile_id"`
	UserID    *int64 `json:"user_id"`
	// Seq is the message's sequence number in its chat (1, 2, 3…; the
	// system notes take numbers too, so a receiver may see gaps).
	Seq int64 `json:"seq"`
	// Author is visitor, agent or bot.
	Author  string `json:"author"`
	AgentID *int64 `json:"agent_id"` // the agent, for an agent's message
	Text    string `json:"text"`
	// Internal marks an agent's internal note: the visitor never saw it.
	// Do not show it to them (e.g. in a copy of the conversation).
	Internal bool `json:"internal,omitempty"`
}

// WebhookRatingData is the data of chat.rated: the visitor rated their
// ended chat, or replaced their rating (within the rating window).
type WebhookRatingData struct {
	ChatID    string `json:"chat_id"`
	ProfileID string `json:"profile_id"`
	UserID    *int64 `json:"user_id"`
	AgentID   *int64 `json:"agent_id"` // the agent who held the chat, if one did
	Score     int    `json:"score"`    // 1–5
	Comment   string `json:"comment"`
	// Replaced: this rating replaces the chat's earlier one.
	Replaced bool `json:"replaced"`
}

// WebhookTicketData is the data of ticket.created and ticket.updated.
type WebhookTicketData struct {
	TicketID     int64   `json:"ticket_id"`
	ChatID       *string `json:"chat_id"` // the chat it was logged from
	UserID       *int64  `json:"user_id"`
	TicketTypeID *int64  `json:"ticket_type_id"`
	Status       string  `json:"status"`
	Summary      string  `json:"summary"`
}

// Webhook is a webhook as the admin API shows it: never its secret.
type Webhook struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
	Disabled    bool     `json:"disabled"`
	// PreviousSecretUntil is when the secret replaced by the last
	// rotation stops signing deliveries beside the new one (null when
	// none does).
	PreviousSecretUntil *time.Time `json:"previousSecretUntil"`
	CreatedAt           time.Time  `json:"createdAt"`
	UpdatedAt           time.Time  `json:"updatedAt"`
}

// WebhookInput is what POST and PUT /api/Webhook take; id and the times
// are read-only.
type WebhookInput struct {
	ID          int64    `json:"id,omitempty"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
	Disabled    bool     `json:"disabled"`
}

// WebhookWithSecret is a webhook with its signing secret
// (whsec_<base64 key>), answered once: when it is created or its secret
// rotated.
type WebhookWithSecret struct {
	Webhook
	Secret string `json:"secret"`
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event on its way to one webhook.
type WebhookDelivery struct {
	ID        int64  `json:"id"`
	EventID   string `json:"eventId"` // the webhook-id header, the same on every attempt
	EventType string `json:"eventType"`
	Status    string `json:"status"` // pending, delivered or failed
	Attempts  int64  `json:"attempts"`
	// LastError is why the last attempt failed ("" after a success).
	LastError string `json:"lastError"`
	// LastStatus is the HTTP status of the last answer (0: none came).
	LastStatus    int64      `json:"lastStatus"`
	NextAttemptAt *time.Time `json:"nextAttemptAt"` // while pending
	CreatedAt     time.Time  `json:"createdAt"`
	DeliveredAt   *time.Time `json:"deliveredAt"`
	// Payload is the body sent (a WebhookEvent).
	Payload json.RawMessage `json:"payload"`
}

// WebhookDeliveries is a page of a webhook's delivery log, newest first.
type WebhookDeliveries struct {
	Deliveries []WebhookDelivery `json:"deliveries"`
	// NextBefore, when not 0, asks for the next (older) page as
	// ?before=NextBefore.
	NextBefore int64 `json:"nextBefore"`
}
