// Package widget holds the go-app components of the visitor chat widget,
// the page that runs inside the iframe the loader (static/index.js) puts on
// the host page. It is compiled to WebAssembly by wasm/widget and
// prerendered by the server.
//
// The loader and the widget talk with postMessage (app/protocol's bridge
// types), each naming the other's exact origin: the loader says hello
// until the widget answers ready, forwards the host page's
// haloChat_inboundEvent_* events, and dispatches what the widget reports
// as haloChat_outboundEvent_* events.
package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Register declares the widget's routes. Both the wasm main and the
// server's handler call it: go-app matches routes on both sides.
func Register() {
	app.Route("/", func() app.Composer { return &Window{} })
}

// Strings are every text the widget shows, in one place for translation.
type Strings struct {
	DefaultTitle, Connecting, Reconnecting, Close, Placeholder, Send       string
	Waiting, Ended, NewChat, TicketLogged, Typing, Unavailable, SendFailed string
	UseEmail                                                               string
	Attach, Uploading, AttachFailed, AttachFailedOffline                   string
	EndChat, EndConfirm, KeepChatting                                      string
	RateQuestion, RateStar, RateComment, RateSend, RateChange, RateThanks  string
	RateFailed                                                             string
	Invalid                                                                map[string]string
	Offline                                                                OfflineStrings
}

// OfflineStrings are the texts of the leave-a-message form.
type OfflineStrings struct {
	Leave, Intro, Name, Email, Message, Send, Sending, Thanks, Back string
}

// English is the default string table.
var English = Strings{
	DefaultTitle: "Chat with us",
	Connecting:   "Connecting…",
	Reconnecting: "Connection lost. Reconnecting…",
	Close:        "Close chat",
	Placeholder:  "Type your message",
	Send:         "Send",
	Waiting:      "Waiting for an agent…",
	Ended:        "This chat has ended.",
	NewChat:      "Start a new chat",
	TicketLogged: "Ticket #%d has been logged.",
	Typing:       "%s is typing…",
	Unavailable:  "Chat is not available right now.",
	SendFailed:   "Your message could not be sent: %s",
	UseEmail:     "Use %s",
	Attach:       "Attach a file",
	Uploading:    "Sending %s… %d%%",
	AttachFailed: "%s was not sent: %s",
	// AttachFailedOffline: the upload got no answer (the connection
	// dropped, or the server closed it on a file far over the limit).
	AttachFailedOffline: "the upload failed; check the file's size and your connection",
	EndChat:             "End chat",
	EndConfirm:          "End this chat?",
	KeepChatting:        "Keep chatting",
	RateQuestion:        "How was this chat?",
	RateStar:            "%d of %d",
	RateComment:         "Anything to add? (optional)",
	RateSend:            "Send rating",
	RateChange:          "Change rating",
	RateThanks:          "Thank you for your rating.",
	RateFailed:          "Your rating could not be sent: %s",
	Invalid: map[string]string{
		"required":   "Please enter an answer.",
		"email":      "Please enter a valid email address.",
		"number":     "Please enter a number.",
		"min":        "That number is too small.",
		"max":        "That number is too large.",
		"pattern":    "That answer is not in the expected format.",
		"max_length": "That answer is too long.",
	},
	Offline: OfflineStrings{
		Leave:   "Leave a message",
		Intro:   "Nobody is in right now. Leave us a message and we will answer by e-mail.",
		Name:    "Your name",
		Email:   "Your e-mail",
		Message: "Your message",
		Send:    "Send message",
		Sending: "Sending…",
		Thanks:  "Thank you! Your message is ticket #%d: we will answer by e-mail.",
		Back:    "Back to the chat",
	},
}
