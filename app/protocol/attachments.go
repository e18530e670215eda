package protocol

import "net/url"

// Attachment is a file attached to a chat: POST
// /chat/api/v1/chats/{id}/attachments answers it (201), and the message
// that carries it holds it (ChatMessage.Attachment).
type Attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"` // the uploaded file's name, cleaned (attach.CleanName)
	Size        int64  `json:"size"` // bytes
	ContentType string `json:"contentType"`
	// URL is the visitor's: GET it with the chat's resume secret
	// (X-Resume-Secret). Agents and API clients read the same file at
	// AgentAttachmentURL.
	URL string `json:"url"`
}

// AttachmentURL is the path a chat's visitor downloads attachment id at.
func AttachmentURL(chatID, id string) string {
	return "/chat/api/v1/chats/" + url.PathEscape(chatID) + "/attachments/" + url.PathEscape(id)
}

// AgentAttachmentURL is the path agents and API clients (chats:read)
// download attachment id of a chat at.
func AgentAttachmentURL(chatID, id string) string {
	return "/api/Chat/" + url.PathEscape(chatID) + "/attachments/" + url.PathEscape(id)
}

// AttachmentSettings are a chat profile's limits on attachments.
type AttachmentSettings struct {
	// MaxBytes is the largest file accepted; 0 is
	// DefaultAttachmentMaxBytes, at most MaxAttachmentMaxBytes.
	MaxBytes int64 `json:"maxBytes,omitempty"`
	// Types are the kinds of file accepted (AttachmentKinds); empty is
	// all of them.
	Types []string `json:"types,omitempty"`
	// Disabled refuses every attachment (the widget hides its button).
	Disabled bool `json:"disabled,omitempty"`
}

// Attachment limits.
const (
	DefaultAttachmentMaxBytes = 10 << 20
	MaxAttachmentMaxBytes     = 100 << 20
)

// The kinds of file an attachment may be (AttachmentSettings.Types),
// decided from its bytes, never from its name.
const (
	KindImage  = "image"  // PNG, JPEG, GIF, WebP, BMP
	KindPDF    = "pdf"    //
	KindText   = "text"   // plain UTF-8 text (never HTML, XML or SVG)
	KindOffice = "office" // Word, Excel, PowerPoint (OOXML and the older binary files), OpenDocument
	KindZip    = "zip"    // any other zip archive
)

// AttachmentKinds lists every kind, in the order the API documents them.
func AttachmentKinds() []string { return []string{KindImage, KindPDF, KindText, KindOffice, KindZip} }

// Limit is MaxBytes or its default.
func (s AttachmentSettings) Limit() int64 {
	if s.MaxBytes <= 0 {
		return DefaultAttachmentMaxBytes
	}
	return s.MaxBytes
}

// Kinds is Types or every kind.
func (s AttachmentSettings) Kinds() []string {
	if len(s.Types) == 0 {
		return AttachmentKinds()
	}
	return s.Types
}

// AgentURL is where agents and API clients read the attachment: its URL
// (the visitor's) under /api/Chat (AgentAttachmentURL).
func (a Attachment) AgentURL() string {
	const visitor = "/chat/api/v1/chats/"
	if len(a.URL) > len(visitor) && a.URL[:len(visitor)] == visitor {
		return "/api/Chat/" + a.URL[len(visitor):]
	}
	return a.URL
}
