package protocol

// MaxTranscriptMails is how many times a chat's transcript may be
// e-mailed (POST /chat/api/v1/chats/{id}/transcript).
const MaxTranscriptMails = 3

// CodeMailOff refuses an e-mail feature of a service started without an
// SMTP server (serve --smtp): 503, nothing is queued.
const CodeMailOff = "mail_off"

// Refusals of a transcript mail's file link (GET /chat/api/v1/files/…):
// CodeBadLink (403) for a link the service did not make, which tells
// nothing of the file; CodeGone (410) for a link past its expiry, or
// whose file was deleted since.
const (
	CodeBadLink = "bad_link"
	CodeGone    = "gone"
)

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
