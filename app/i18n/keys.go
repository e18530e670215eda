package i18n

// Key names one text of the catalogue.
type Key uint16

// The widget's texts.
const (
	DefaultTitle Key = iota // the window's title when neither page nor profile names one
	Connecting
	Reconnecting
	Close // the × button's label: it only minimises the window
	Placeholder
	Send
	Waiting
	Ended
	NewChat
	TheAgent // who types, when the agent has no name
	Typing   // %s: the agent's name
	Unavailable
	SendFailed // %s: the service's reason
	UseEmail   // %s: the e-mail address offered
	Attach
	Uploading           // %s: the file's name; %d: percent sent
	AttachFailed        // %s: the file's name; %s: the reason
	AttachFailedOffline // the reason when the upload got no answer
	EndChat
	EndConfirm
	KeepChatting
	RateQuestion
	RateStar // %d: the score; %d: the highest score
	RateComment
	RateSend
	RateChange
	RateThanks
	RateFailed // %s: the service's reason
	OfflineLeave
	OfflineIntro
	OfflineName
	OfflineEmail
	OfflineMessage
	OfflineSend
	OfflineSending
	OfflineThanks // %d: the ticket's number
	OfflineBack
	LauncherOpen   // the launcher's label
	LauncherUnread // the launcher's label with unread messages; %d: how many
	FrameTitle     // the iframe's title on the host page
	// The transcript by e-mail, under the rating of an ended chat.
	MailTranscript       // the button
	MailTranscriptSent   // %s: the address
	MailTranscriptFailed // %s: the service's reason
	// SizeUnits are the units of a file's size (bytes, KB, MB) and the
	// decimal mark, separated by spaces (webfetch.SizeIn).
	SizeUnits

	// Shared by the widget and the server: the ticket a chat logged, and
	// why an answer to the bot's question was refused.
	TicketLogged // %d: the ticket's number
	InvalidRequired
	InvalidEmail
	InvalidNumber
	InvalidPattern
	InvalidMin
	InvalidMax
	InvalidMaxLength
	InvalidChoice

	// The server's system messages (the tables apart: see WidgetT).
	Queued
	AgentJoined // %s: the agent's name
	EndedByVisitor
	EndedByAgent
	EndedIdle
	EndedReplaced
	EndedLogout
	EndedOther
	NobodyInClosed
	NobodyInNoAgent
	NoAgentAnyMore
	AgentLeft         // %s: the agent's name (gone: the chat is queued again)
	TransferredTo     // %s: the new agent's name
	TransferredToTeam // %s: the team's name
	AgentGone         // %s: the agent's name; %s: the team's name
	EndedUnattended

	// KeyCount is the number of keys (not a key).
	KeyCount
)

// firstSystem is the first of the server's system messages.
const firstSystem = Queued

// Invalid is the text of an answer refused for reason (app/flow's
// Reason* names); InvalidPattern for a reason it does not know.
func Invalid(reason string) Key {
	switch reason {
	case "required":
		return InvalidRequired
	case "email":
		return InvalidEmail
	case "number":
		return InvalidNumber
	case "min":
		return InvalidMin
	case "max":
		return InvalidMax
	case "max_length":
		return InvalidMaxLength
	case "choice":
		return InvalidChoice
	}
	return InvalidPattern
}
