package protocol

// MaxTranscriptMails is how many times a chat's transcript may be
// e-mailed (POST /chat/api/v1/chats/{id}/transcript).
const MaxTranscriptMails = 3

// CodeMailOff refuses an e-mail feature of a service started without an
// SMTP server (serve --smtp): 503, nothing is queued.
const CodeMailOff = "mail_off"

// TranscriptMailRequest asks for a chat's transcript by e-mail.
type TranscriptMailRequest struct {
	Email string `json:"email"`
}

// TranscriptMailQueued answers a TranscriptMailRequest (202): the mail is
// in the outbox, to be sent (and retried) in the background; Remaining
// is how many more the chat may ask for.
type TranscriptMailQueued struct {
	Email     string `json:"email"`
	Remaining int    `json:"remaining"`
}
