package widget

import (
	"slices"

	"halochat/app/protocol"
)

// Outbound is one haloChat_outboundEvent_* to dispatch on the host page.
type Outbound struct {
	Name   string         `json:"name"`
	Detail map[string]any `json:"detail"`
}

// Conversation is the widget's view of one chat: its messages in seq
// order, each once whatever the transport repeats; where the chat stands;
// and the events the host page must hear about it. It does no I/O: the
// window feeds it what the server sends and dispatches what it returns.
type Conversation struct {
	ChatID   string
	Chat     protocol.ChatState
	Messages []protocol.ChatMessage
	// Unread counts bot, agent and system messages that arrived while the
	// window was closed.
	Unread int
	// Typing is true while the agent types.
	Typing bool

	seen      map[int64]bool
	endedSent bool
}

// NewConversation starts the view of a chat from the start (or resume)
// answer. announced is the newest seq whose events the host page has
// already heard (0 for a chat new to this browser; after a reload, what
// the page heard before it): the messages up to it are history and raise
// nothing, every later one raises its events now, as Receive does —
// chatStarted (for a new chat) first, and chatEnded when the chat ended
// since (a chat that ends during its first run, say). windowOpen says
// whether the visitor sees them.
func NewConversation(resp protocol.StartChatResponse, announced int64, windowOpen bool) (*Conversation, []Outbound) {
	c := &Conversation{ChatID: resp.ChatID, Chat: resp.Chat, seen: map[int64]bool{}}
	var history, fresh []protocol.ChatMessage
	for _, m := range resp.Messages {
		if m.Seq <= announced {
			history = append(history, m)
		} else {
			fresh = append(fresh, m)
		}
	}
	c.add(history)
	var out []Outbound
	if !resp.Resumed {
		out = append(out, Outbound{protocol.OutChatStarted, map[string]any{
			"chatId": resp.ChatID, "startStep": resp.Chat.StartStep, "authenticated": resp.Chat.Authenticated,
		}})
	}
	if c.Ended() && resp.Resumed && !slices.ContainsFunc(fresh, isEnd) {
		c.endedSent = true // the page heard of it before the reload
	}
	out = append(out, c.Receive(fresh, windowOpen)...)
	// Where the chat stands is the server's word, not what replaying the
	// messages made of it (an agent who joined may have left since).
	c.Chat = resp.Chat
	return c, out
}

func isEnd(m protocol.ChatMessage) bool { return m.Event == protocol.EventChatEnded }

// LastSeq is the newest seq held: a reconnect asks for what follows.
func (c *Conversation) LastSeq() int64 {
	if n := len(c.Messages); n > 0 {
		return c.Messages[n-1].Seq
	}
	return 0
}

// Ended reports whether the chat is over.
func (c *Conversation) Ended() bool { return c.Chat.Status == protocol.ChatStatusEnded }

// add keeps messages not seen yet, in seq order, and returns them.
func (c *Conversation) add(msgs []protocol.ChatMessage) []protocol.ChatMessage {
	var fresh []protocol.ChatMessage
	for _, m := range msgs {
		// An internal note never reaches the widget (the server leaves
		// it out); were one to, it is not shown.
		if m.Seq <= 0 || c.seen[m.Seq] || m.Internal {
			continue
		}
		c.seen[m.Seq] = true
		fresh = append(fresh, m)
	}
	if len(fresh) == 0 {
		return nil
	}
	// Into seq order: each new message moves back past the later ones
	// held (an insertion sort, stable; the held ones are in order, and
	// messages mostly come in order, so it rarely moves anything).
	// sort.SliceStable would link internal/reflectlite into the wasm.
	n := len(c.Messages)
	c.Messages = append(c.Messages, fresh...)
	for i := n; i < len(c.Messages); i++ {
		for j := i; j > 0 && c.Messages[j].Seq < c.Messages[j-1].Seq; j-- {
			c.Messages[j], c.Messages[j-1] = c.Messages[j-1], c.Messages[j]
		}
	}
	return fresh
}

// Receive takes messages from the server (a frame, a poll) and returns the
// events they raise. windowOpen says whether the visitor sees them.
func (c *Conversation) Receive(msgs []protocol.ChatMessage, windowOpen bool) []Outbound {
	var out []Outbound
	unread := c.Unread
	for _, m := range c.add(msgs) {
		if m.From == protocol.FromVisitor {
			continue
		}
		out = append(out, Outbound{protocol.OutMessageReceived, map[string]any{
			"chatId": c.ChatID, "seq": m.Seq, "from": m.From, "text": m.Text,
		}})
		if !windowOpen {
			c.Unread++
		}
		switch m.Event {
		case protocol.EventAgentJoined:
			c.Chat.AgentName = m.AgentName
			c.Chat.Status = protocol.ChatStatusLive
		case protocol.EventTransferred:
			c.Chat.AgentName, c.Chat.Status = m.AgentName, protocol.ChatStatusLive
			if m.AgentName == "" { // to a team's queue
				c.Chat.Status = protocol.ChatStatusQueued
			}
		case protocol.EventTicketCreated:
			c.Chat.TicketID = m.TicketID
		case protocol.EventChatEnded:
			c.Chat.Status = protocol.ChatStatusEnded
			c.Chat.EndReason = m.Reason
		}
	}
	if c.Unread != unread {
		out = append(out, c.unreadEvent())
	}
	return append(out, c.endedEvent()...)
}

// Update takes the chat's state from the server.
func (c *Conversation) Update(st protocol.ChatState) []Outbound {
	st.Pending = pendingOrNil(st)
	c.Chat = st
	return c.endedEvent()
}

// End marks the chat ended for reason, as the widget learnt it (it ended
// the chat, or the server no longer has it open); the ticket, if any, stays.
func (c *Conversation) End(reason string) []Outbound {
	st := c.Chat
	st.Status, st.EndReason = protocol.ChatStatusEnded, reason
	return c.Update(st)
}

func pendingOrNil(st protocol.ChatState) *protocol.Pending {
	if st.Status == protocol.ChatStatusEnded {
		return nil
	}
	return st.Pending
}

func (c *Conversation) endedEvent() []Outbound {
	if c.Chat.Status != protocol.ChatStatusEnded || c.endedSent {
		return nil
	}
	c.endedSent = true
	c.Typing = false
	var ticket any
	if c.Chat.TicketID != 0 {
		ticket = c.Chat.TicketID
	}
	return []Outbound{{protocol.OutChatEnded, map[string]any{
		"chatId": c.ChatID, "reason": c.Chat.EndReason, "ticketId": ticket,
	}}}
}

// Opened marks everything read (the window was opened).
func (c *Conversation) Opened() []Outbound {
	if c.Unread == 0 {
		return nil
	}
	c.Unread = 0
	return []Outbound{c.unreadEvent()}
}

func (c *Conversation) unreadEvent() Outbound {
	return Outbound{protocol.OutUnreadCount, map[string]any{"count": c.Unread}}
}

// Pending is what the bot waits for from the visitor, if anything: the
// buttons or prompt of the newest message when that is the bot's (a
// visitor message after it means the answer is on its way). Before any
// message, the server's word.
func (c *Conversation) Pending() *protocol.Pending {
	if c.Ended() {
		return nil
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		m := c.Messages[i]
		switch {
		case m.From == protocol.FromSystem:
			continue
		case m.Attachment != nil:
			continue // a file answers no question: the bot still waits
		case m.From == protocol.FromBot && len(m.Choices) > 0:
			return &protocol.Pending{Step: m.Step, Kind: "choice", Choices: m.Choices}
		case m.From == protocol.FromBot && m.Prompt != nil:
			return &protocol.Pending{Step: m.Step, Kind: "answer", Prompt: m.Prompt}
		default:
			return nil
		}
	}
	return c.Chat.Pending
}
