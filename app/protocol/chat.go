package protocol

// The chat runtime's wire protocol: the widget's HTTP API (start a chat,
// availability, the long-poll transport of chatMode "heartbeat") and the
// JSON frames of the visitor and agent websockets. The server
// (backend/chatapi, backend/realtime) and the widget use exactly these
// types.
//
// # HTTP (all JSON; errors are {"error": {"code", "message", "field"}})
//
//	POST /chat/api/v1/start                       StartChatRequest → StartChatResponse
//	GET  /chat/api/v1/availability?configId=…     → Availability (cacheable)
//	GET  /chat/api/v1/chats/{id}/messages?after=N&wait=25
//	                                              → PollResponse (long-poll; header X-Halochat-Resume)
//	POST /chat/api/v1/chats/{id}/messages         SendRequest → Ack (header X-Halochat-Resume)
//	POST /chat/api/v1/chats/{id}/typing           TypingRequest → 204
//	POST /chat/api/v1/chats/{id}/end[?reason=logout] → 204 (reason: visitor, the default, or logout)
//	POST /chat/api/v1/chats/{id}/upgrade          UpgradeRequest → ChatState (upgradeAnonChat;
//	                                              header X-Halochat-Resume)
//	GET  /chat/ws                                 visitor websocket (first frame: hello)
//	GET  /agent/ws                                agent console websocket (agent session cookie or bearer;
//	                                              an Origin, when sent, must be the service's own)
//
// # Websocket frames
//
// Every frame is one JSON text message: a Frame whose Type says which
// fields are set and whose V is ProtocolVersion. A server that receives
// a frame with a V it does not speak answers with an error frame
// (code unsupported_version) and closes.
//
// Visitor → server: hello (ChatID, ResumeSecret, AfterSeq: the last seq
// seen, 0 for all), send (ClientMsgID, Text or Choice), typing (Typing),
// end, ping.
//
// Server → visitor: ready (Chat: the chat's state), message (Message; in
// seq order, each seq once), ack (ClientMsgID, Seq: the visitor's
// message is stored), typing (From "agent", Typing), error (Error),
// pong. A hello is answered with ready, then every message after
// AfterSeq, then live messages.
//
// Agent → server: hello (no fields: the agent comes from the session),
// accept (ChatID), watch (ChatID, AfterSeq: follow a chat's transcript
// live), unwatch (ChatID), send (ChatID, ClientMsgID, Text), typing
// (ChatID, Typing), end (ChatID), ping.
//
// Server → agent: ready (Agent), queue (Chats: every queued chat, oldest
// first; sent on hello and on every change), accepted (ChatID, Chat; or
// Error code already_claimed), message (ChatID, Message), ack, typing
// (ChatID, From "visitor", Typing), error, pong. Once the agent's session
// ends (a logout, a new password, the agent disabled) the socket gets an
// error (code unauthorized) and is closed with status 1008 and the reason
// as its message: log in again.
//
// Heartbeats: the server pings (websocket ping) every PingInterval and
// drops a connection that does not answer; an application-level ping
// frame is answered with pong for clients that cannot see websocket pings.

// ProtocolVersion is the version of the chat frames and API bodies. It
// goes up when a field changes meaning; new fields do not change it.
const ProtocolVersion = 1

// Frame types.
const (
	FrameHello    = "hello"
	FrameReady    = "ready"
	FrameSend     = "send"
	FrameAck      = "ack"
	FrameMessage  = "message"
	FrameTyping   = "typing"
	FrameEnd      = "end"
	FramePing     = "ping"
	FramePong     = "pong"
	FrameError    = "error"
	FrameQueue    = "queue"
	FrameAccept   = "accept"
	FrameAccepted = "accepted"
	FrameWatch    = "watch"
	FrameUnwatch  = "unwatch"
)

// Message senders (ChatMessage.From).
const (
	FromVisitor = "visitor"
	FromBot     = "bot"
	FromAgent   = "agent"
	FromSystem  = "system"
)

// Chat statuses (ChatState.Status).
const (
	ChatStatusBot    = "bot"    // the bot flow runs
	ChatStatusQueued = "queued" // waiting for an agent
	ChatStatusLive   = "live"   // an agent has the chat
	ChatStatusEnded  = "ended"
)

// System events (ChatMessage.Event), stored as system messages.
const (
	EventQueued        = "queued"         // transferred; waiting for an agent
	EventAgentJoined   = "agent_joined"   // AgentName took the chat
	EventTicketCreated = "ticket_created" // TicketID was logged
	EventChatEnded     = "chat_ended"     // Reason says why
	EventTransferred   = "transferred"    // an agent handed the chat on: to AgentName, or to a team's queue
)

// End reasons (ChatMessage.Reason of chat_ended, ChatState.EndReason).
const (
	EndByVisitor = "visitor" // the visitor ended it
	EndByAgent   = "agent"   // the agent ended it
	EndByFlow    = "flow"    // the bot flow reached an end step
	EndIdle      = "idle"    // nobody wrote for the idle timeout
	EndReplaced  = "replaced"
	EndRestarted = "restarted"
	EndLogout    = "logout"
	EndByAPI     = "api" // an API client ended it (POST /api/Chat/{id}/end)
	// EndUnattended: handed back to a team (a transfer, its agent went
	// offline), nobody took it within the team's accept timeout.
	EndUnattended = "unattended"
)

// StartChatRequest is the body of POST /chat/api/v1/start. The widget
// calls it from the service's own origin (the iframe); HostOrigin is the
// host page's origin as the widget saw it.
type StartChatRequest struct {
	ConfigID          string `json:"configId"`
	ConfigKey         string `json:"configKey"`
	HostOrigin        string `json:"hostOrigin"`
	IDToken           string `json:"id_token,omitempty"`
	StartStepOverride int    `json:"startStepOverride,omitempty"`
	// RetainPreviousChat: resume PreviousChatID (proved by ResumeSecret)
	// if it is still open and runs the profile's flow. Missing means true.
	// False ends the previous chat and starts anew.
	RetainPreviousChat *bool  `json:"retainPreviousChat,omitempty"`
	PreviousChatID     string `json:"previousChatId,omitempty"`
	ResumeSecret       string `json:"resumeSecret,omitempty"`
	// EmailHint is the value of the profile's email session storage key
	// on the host page, if any (an unverified hint).
	EmailHint string `json:"emailHint,omitempty"`
	// Portal marks a start from the self-service portal page: with a
	// valid portal session cookie the chat is the portal user's (context
	// portal); without one it is an embedded chat.
	Portal bool `json:"portal,omitempty"`
	// Languages are the browser's preferred languages (navigator.languages,
	// best first): a profile whose language is auto speaks the first the
	// catalogue has (else the Accept-Language header's, else the profile's
	// default language).
	Languages []string `json:"languages,omitempty"`
}

// Retain reports whether the request asks to keep the previous chat
// (missing means true).
func (r StartChatRequest) Retain() bool { return r.RetainPreviousChat == nil || *r.RetainPreviousChat }

// StartChatResponse answers a start: the chat (new or resumed), the
// resume secret the widget keeps for this browser (returned again on a
// reload's resume; a new one of its own when the identified user's chat
// follows them to this browser, docs/CONTRACT.md#identified-user), and
// every message so far.
type StartChatResponse struct {
	V            int           `json:"v"`
	ChatID       string        `json:"chatId"`
	ResumeSecret string        `json:"resumeSecret"`
	Resumed      bool          `json:"resumed"`
	Chat         ChatState     `json:"chat"`
	Messages     []ChatMessage `json:"messages"`
	// EndedChatID is the previous chat this start ended (a different flow,
	// or retainPreviousChat false), if any.
	EndedChatID string `json:"endedChatId,omitempty"`
}

// ChatState is where a chat stands, for the widget and the console.
type ChatState struct {
	ID            string `json:"id"`
	ProfileID     string `json:"profileId,omitempty"`
	Status        string `json:"status"` // ChatStatus*
	StartStep     int    `json:"startStep"`
	Authenticated bool   `json:"authenticated"`
	LastSeq       int64  `json:"lastSeq"`
	AgentName     string `json:"agentName,omitempty"`
	TicketID      int64  `json:"ticketId,omitempty"`
	EndReason     string `json:"endReason,omitempty"`
	// Language is the chat's language (app/i18n), decided when it
	// started: the widget's texts, the system messages and the flow's
	// translations follow it.
	Language string `json:"language,omitempty"`
	// Pending is what the bot waits for: the open question's prompt or
	// the open choice's buttons (nil when it waits for nothing from the
	// visitor).
	Pending *Pending `json:"pending,omitempty"`
	// For agents: who the visitor is.
	UserName  string `json:"userName,omitempty"`
	UserEmail string `json:"userEmail,omitempty"`
	StartedAt string `json:"startedAt,omitempty"` // RFC 3339
	QueuedAt  string `json:"queuedAt,omitempty"`
	// For agents, in the queue: the team the chat waits for, and the
	// agent it is offered to (auto routing; that agent alone sees it).
	TeamID    int64  `json:"teamId,omitempty"`
	TeamName  string `json:"teamName,omitempty"`
	OfferedTo int64  `json:"offeredTo,omitempty"`
}

// Pending is what a waiting bot step accepts.
type Pending struct {
	Step    int      `json:"step"`
	Kind    string   `json:"kind"` // "answer" | "choice"
	Prompt  *Prompt  `json:"prompt,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

// Prompt says what answers a question accepts (the widget may check
// them before sending; the server checks again).
type Prompt struct {
	Required  bool     `json:"required,omitempty"`
	Type      string   `json:"type,omitempty"` // text, email, number, pattern
	Pattern   string   `json:"pattern,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	MaxLength int      `json:"maxLength,omitempty"`
}

// ChatMessage is one stored message of a chat. Seq numbers a chat's
// messages 1, 2, 3, … without gaps.
type ChatMessage struct {
	Seq         int64  `json:"seq"`
	From        string `json:"from"` // From*
	Text        string `json:"text"`
	ClientMsgID string `json:"clientMsgId,omitempty"`
	AgentName   string `json:"agentName,omitempty"`
	CreatedAt   string `json:"createdAt"` // RFC 3339, UTC
	// Bot messages: the step, and the buttons or prompt that came with it
	// (only the newest such message is still answerable; see
	// ChatState.Pending).
	Step    int      `json:"step,omitempty"`
	Choices []string `json:"choices,omitempty"`
	Prompt  *Prompt  `json:"prompt,omitempty"`
	// Invalid is set on the bot's reply to a refused answer: the reason
	// (required, email, number, pattern, min, max, max_length, choice).
	Invalid string `json:"invalid,omitempty"`
	// Choice is the option index a visitor message picked, if any.
	Choice *int `json:"choice,omitempty"`
	// System messages: the event, and its details.
	Event    string `json:"event,omitempty"`
	Reason   string `json:"reason,omitempty"`
	TicketID int64  `json:"ticketId,omitempty"`
	// Attachment is the file a visitor's or agent's message carries.
	Attachment *Attachment `json:"attachment,omitempty"`
	// Internal marks an agent's internal note: only agents read it (the
	// visitor's socket and API never carry one).
	Internal bool `json:"internal,omitempty"`
}

// Availability is GET /chat/api/v1/availability: whether the chat is
// available now (chatAvailable of haloChat_outboundEvent_initialized).
type Availability struct {
	ConfigID      string `json:"configId"`
	ChatAvailable bool   `json:"chatAvailable"`
	Open          bool   `json:"open"` // inside opening hours, not a holiday
	NeedsAgent    bool   `json:"needsAgent"`
	AgentsOnline  bool   `json:"agentsOnline"`
	TimeZone      string `json:"timeZone,omitempty"`
	// FlowID is the bot flow the profile runs: a widget initialised with
	// another profile ends its open chat when the flow differs
	// (docs/CONTRACT.md#reload-rules).
	FlowID int64 `json:"flowId,omitempty"`
	// The profile's appearance; haloChatConfig and initialize override it.
	Colour   string `json:"colour,omitempty"`
	Title    string `json:"title,omitempty"`
	Greeting string `json:"greeting,omitempty"`
	// LauncherPosition is "bottom-right" (also when empty) or
	// "bottom-left"; IconURL the launcher's icon (the page's icon wins).
	LauncherPosition string `json:"launcherPosition,omitempty"`
	IconURL          string `json:"iconUrl,omitempty"`
	// HideWhenUnavailable: hide the launcher while ChatAvailable is false
	// (and no conversation is in progress).
	HideWhenUnavailable bool `json:"hideWhenUnavailable,omitempty"`
	// EmailStorageKey names the host page's sessionStorage key holding
	// the visitor's email (an unverified hint sent with the chat start).
	EmailStorageKey string `json:"emailStorageKey,omitempty"`
	// AskRating: the widget asks the visitor to rate a chat that ended
	// (the profile's ratingQuestion).
	AskRating bool `json:"askRating"`
	// Language is the profile's language setting: a language code of
	// app/i18n or "auto" (the browser's preferred languages, then
	// DefaultLanguage).
	Language        string `json:"language,omitempty"`
	DefaultLanguage string `json:"defaultLanguage,omitempty"`
	// MailTranscript: the service sends e-mail (serve --smtp), so the
	// widget offers to e-mail the transcript of a chat that ended
	// (POST /chat/api/v1/chats/{id}/transcript).
	MailTranscript bool `json:"mailTranscript,omitempty"`
}

// Bounds of a chat rating (POST /chat/api/v1/chats/{id}/rating).
const (
	MinRatingScore        = 1
	MaxRatingScore        = 5
	MaxRatingComment      = 2000 // characters
	RatingWindowMinutes   = 10   // a rating may be replaced this long after the first
	RatingQuestionAsk     = "ask"
	RatingQuestionOff     = "off"
	DefaultRatingQuestion = RatingQuestionAsk
)

// RatingRequest is the visitor's rating of an ended chat: a whole score
// from MinRatingScore to MaxRatingScore and an optional comment.
type RatingRequest struct {
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
}

// ChatRating is a chat's rating as stored: what the rating call answers,
// and what agents read with the chat (GET /api/Chat/{id}, its details).
type ChatRating struct {
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
	RatedAt string `json:"ratedAt"` // RFC 3339; the latest rating's time
}

// TransferRequest is POST /api/Chat/{id}/transfer: exactly one of
// AgentID and TeamID.
type TransferRequest struct {
	AgentID int64  `json:"agentId,omitempty"`
	TeamID  int64  `json:"teamId,omitempty"`
	Note    string `json:"note,omitempty"` // an internal note for the next agent
}

// SendRequest is a visitor's message over the long-poll transport (and
// the fields of a send frame): exactly one of Text and Choice.
type SendRequest struct {
	ClientMsgID string `json:"clientMsgId"`
	Text        string `json:"text,omitempty"`
	Choice      *int   `json:"choice,omitempty"`
}

// Ack confirms a stored message: Seq is its sequence number. A resend
// with the same ClientMsgID gets the same Ack (Duplicate true).
type Ack struct {
	V           int    `json:"v"`
	ClientMsgID string `json:"clientMsgId"`
	Seq         int64  `json:"seq"`
	Duplicate   bool   `json:"duplicate,omitempty"`
}

// UpgradeRequest is the body of an upgrade (upgradeAnonChat): the
// identity token the anonymous chat is signed in with.
type UpgradeRequest struct {
	IDToken string `json:"id_token"`
}

// TypingRequest is a typing indicator over the long-poll transport.
type TypingRequest struct {
	Typing bool `json:"typing"`
}

// PollResponse answers a long-poll read: the messages after the asked
// seq (empty when the wait ran out), the chat's state, and whether the
// other side is typing.
type PollResponse struct {
	V        int           `json:"v"`
	Messages []ChatMessage `json:"messages"`
	Chat     ChatState     `json:"chat"`
	Typing   bool          `json:"typing,omitempty"`
}

// Frame is one websocket frame (see the package comment for which fields
// each type sets).
type Frame struct {
	V            int          `json:"v"`
	Type         string       `json:"type"`
	ChatID       string       `json:"chatId,omitempty"`
	ResumeSecret string       `json:"resumeSecret,omitempty"`
	AfterSeq     int64        `json:"afterSeq,omitempty"`
	ClientMsgID  string       `json:"clientMsgId,omitempty"`
	Seq          int64        `json:"seq,omitempty"`
	Duplicate    bool         `json:"duplicate,omitempty"`
	Text         string       `json:"text,omitempty"`
	Choice       *int         `json:"choice,omitempty"`
	Typing       *bool        `json:"typing,omitempty"`
	From         string       `json:"from,omitempty"`
	Message      *ChatMessage `json:"message,omitempty"`
	Chat         *ChatState   `json:"chat,omitempty"`
	Chats        []ChatState  `json:"chats,omitempty"`
	Agent        *AgentInfo   `json:"agent,omitempty"`
	Error        *APIError    `json:"error,omitempty"`
}

// AgentInfo names the agent of an agent console connection.
type AgentInfo struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Headers and query parameters of the chat API.
const (
	HeaderResumeSecret = "X-Halochat-Resume"
	// HeaderSignature carries "sha256=<hex HMAC-SHA256 of the body>" on
	// runbook calls; HeaderRunbook the runbook id.
	HeaderSignature = "X-Halochat-Signature"
	HeaderRunbook   = "X-Halochat-Runbook"
)

// RunbookRequest is the JSON body the server POSTs to a runbook's URL.
type RunbookRequest struct {
	Runbook    string            `json:"runbook"`
	ChatID     string            `json:"chatId"`
	Step       int               `json:"step"`
	SentAt     string            `json:"sentAt"` // RFC 3339; receivers may refuse old calls
	User       map[string]string `json:"user"`
	ChatFields map[string]string `json:"chatFields"` // by database name
	Variables  map[string]any    `json:"variables"`
	// Test marks a call made by the console's "Test" action
	// (POST /api/Runbook/{id}/test): no chat is behind it.
	Test bool `json:"test,omitempty"`
}
