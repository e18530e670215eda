package protocol

import "time"

// UserExport is everything the service holds about one user
// (GET /api/User/{id}/export): the user's fields, their chats with
// messages, custom-field values, rating and attachments' metadata, and
// their tickets.
type UserExport struct {
	ExportedAt time.Time      `json:"exportedAt"`
	User       User           `json:"user"`
	Chats      []ExportChat   `json:"chats"`
	Tickets    []ExportTicket `json:"tickets"`
	// Mails are the mails the service queued about the user: their
	// chats' transcripts, notifications of their tickets (the offline
	// message), any to their address; sent or not.
	Mails []ExportMail `json:"mails"`
}

// ExportMail is one mail of the outbox about the user.
type ExportMail struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"` // transcript | notification
	ChatID    string    `json:"chatId,omitempty"`
	TicketID  int64     `json:"ticketId,omitempty"`
	Recipient string    `json:"recipient"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	Status    string    `json:"status"` // pending | delivered | failed
	CreatedAt time.Time `json:"createdAt"`
	SentAt    time.Time `json:"sentAt,omitzero"`
}

// ExportChat is one of the user's chats.
type ExportChat struct {
	ID         string    `json:"id"`
	ProfileID  string    `json:"profileId"`
	Context    string    `json:"context"`
	HostOrigin string    `json:"hostOrigin"`
	EmailHint  string    `json:"emailHint"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"startedAt"`
	EndedAt    time.Time `json:"endedAt,omitzero"`
	EndReason  string    `json:"endReason"`
	TicketID   int64     `json:"ticketId,omitempty"`
	// Fields are the chat's custom-field values by field name.
	Fields      map[string]string  `json:"fields"`
	Messages    []ExportMessage    `json:"messages"`
	Rating      *ExportRating      `json:"rating"`
	Attachments []ExportAttachment `json:"attachments"`
}

// ExportMessage is one message of a chat.
type ExportMessage struct {
	Seq       int64     `json:"seq"`
	Sender    string    `json:"sender"` // visitor, agent, bot or system
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"createdAt"`
}

// ExportRating is the visitor's rating of a chat.
type ExportRating struct {
	Score     int64     `json:"score"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"createdAt"`
}

// ExportAttachment is a file attached to a chat (its metadata; with
// ?files=1 the file itself is in the zip at File).
type ExportAttachment struct {
	ID          string    `json:"id"`
	Seq         int64     `json:"seq"`
	Sender      string    `json:"sender"`
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"createdAt"`
	File        string    `json:"file,omitempty"` // its path in the zip
}

// ExportTicket is a ticket logged for the user or from their chat.
type ExportTicket struct {
	ID        int64             `json:"id"`
	ChatID    string            `json:"chatId,omitempty"`
	Summary   string            `json:"summary"`
	Details   string            `json:"details"`
	Status    string            `json:"status"`
	Fields    map[string]string `json:"fields"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

// UserErasure is the answer of POST /api/User/{id}/erase: how much of
// the person's data was removed. The user's row stays, emptied (its id
// keeps the tickets' and chats' counts), as do the chats' and tickets'
// numbers, statuses and times.
type UserErasure struct {
	UserID int64 `json:"userId"`
	// Chats are the user's chats (kept, emptied of what follows).
	Chats int64 `json:"chats"`
	// Messages are the visitor's messages removed from them.
	Messages int64 `json:"messages"`
	// Attachments are the files removed (the visitor's, with their bytes).
	Attachments int64 `json:"attachments"`
	// ChatFieldValues are the chats' custom-field values removed.
	ChatFieldValues int64 `json:"chatFieldValues"`
	// Tickets are the tickets emptied (summary, transcript and field
	// values); TicketFieldValues the values removed from them.
	Tickets           int64 `json:"tickets"`
	TicketFieldValues int64 `json:"ticketFieldValues"`
	// RatingComments are the ratings' comments removed (scores stay).
	RatingComments int64 `json:"ratingComments"`
	// MatchingData are the ChatMatchingData items naming the user.
	MatchingData int64 `json:"matchingData"`
	// WebhookDeliveries are the delivered or failed webhook deliveries
	// of the user's chats removed from the delivery log.
	WebhookDeliveries int64 `json:"webhookDeliveries"`
	// PortalSessions are the portal sessions ended.
	PortalSessions int64 `json:"portalSessions"`
	// Mails are the outbox's mails about the user or to them removed
	// (transcripts, notifications of their offline messages), sent or not.
	Mails int64 `json:"mails"`
}

// WebhookUserErasedData is the data of user.erased.
type WebhookUserErasedData struct {
	UserID int64 `json:"user_id"`
}
