package httpapi

import "strings"

// ChatEndpoint documents one route of the chat runtime (backend/chatapi,
// backend/realtime), which mounts its own handlers: the widget's API, the
// long-poll transport, the websockets and the agents' chat REST API. Their
// JSON bodies are the types of app/protocol (chat.go; agent.go for the
// agents' REST API).
type ChatEndpoint struct {
	Method, Path, Summary, Access string
}

// ChatEndpoints lists the chat runtime's routes for the OpenAPI document.
// backend/securitytest checks that the service serves each one.
func ChatEndpoints() []ChatEndpoint {
	const (
		widget  = "the widget (from the service's own origin)"
		visitor = "the visitor's chat (header X-Halochat-Resume: its resume secret)"
		agent   = "a logged-in agent"
	)
	return []ChatEndpoint{
		{"POST", "/chat/api/v1/start", "Start or resume a chat (protocol.StartChatRequest → StartChatResponse; 201 new, 200 resumed)", widget},
		{"GET", "/chat/api/v1/availability", "Whether a profile can take a chat now (?configId=; protocol.Availability; cacheable)", "anyone"},
		{"POST", "/chat/api/v1/chats/{id}/upgrade", "upgradeAnonChat: sign the anonymous chat in as the token's user ({id_token} → ChatState)", visitor},
		{"GET", "/chat/api/v1/chats/{id}/messages", "Long-poll: messages after ?after=N, waiting up to ?wait= seconds (PollResponse)", visitor},
		{"POST", "/chat/api/v1/chats/{id}/messages", "Long-poll: send a message (SendRequest → Ack; idempotent by clientMsgId)", visitor},
		{"POST", "/chat/api/v1/chats/{id}/typing", "Long-poll: the visitor is (not) typing ({typing})", visitor},
		{"POST", "/chat/api/v1/chats/{id}/end", "End the chat as the visitor", visitor},
		{"GET", "/chat/ws", "The visitor's websocket (first frame: hello {chatId, resumeSecret, afterSeq}; protocol.Frame)", visitor},
		{"GET", "/agent/ws", "The agent console's websocket (queue, accept, watch, send, typing, end; protocol.Frame)", agent},
		{"GET", "/api/Chat", "List chats, newest first (?status=&profile_id=&user_id=&agent_id=&offset=&limit=); ?q= searches: only chats whose messages or user (name, username, e-mail, external id) hold every word of q, case-insensitively, at most 200 (400 naming q: over 200 characters or 8 words)", agent},
		{"GET", "/api/Chat/{id}", "A chat and its transcript", agent},
		{"GET", "/api/Chat/{id}/details", "What an agent sees beside the transcript (protocol.ChatDetails): profile, user, context, host origin, the unverified e-mail hint, times, flow and current step, ticket, and the chat custom field values (never sent to the visitor)", agent},
		{"POST", "/api/Chat/{id}/accept", "Accept a queued chat (409 already_claimed: another agent won)", agent},
		{"POST", "/api/Chat/{id}/end", "End a chat as its agent", agent},
		{"GET", "/api/ChatMessage", "A chat's messages after a sequence number (?chat_id=&after=)", agent},
		{"POST", "/api/ChatMessage", "Send a message as the chat's agent ({chat_id, client_msg_id, text})", agent},
		{"POST", "/api/ChatMessage/IsTyping", "The agent is (not) typing ({chat_id, typing})", agent},
		{"GET", "/api/Tickets", "List tickets (?chat_id=&user_id=&status=&offset=&limit=)", agent},
		{"GET", "/api/Tickets/{id}", "A ticket with its custom field values", agent},
	}
}

// addChatEndpoints puts ChatEndpoints into the document's paths.
func addChatEndpoints(op func(path, method string, o jsonObj)) {
	for _, e := range ChatEndpoints() {
		o := jsonObj{
			"summary":     e.Summary,
			"operationId": strings.ToLower(e.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "").Replace(e.Path),
			"tags":        []string{"chat"},
			"description": "Access: " + e.Access + ". Bodies are the JSON types of app/protocol (chat.go, agent.go); refusals are {\"error\":{\"code\",\"message\",\"field\"}}.",
			"responses":   jsonObj{"default": jsonObj{"description": "See the summary; errors as {\"error\":{\"code\",\"message\"}}"}},
		}
		if strings.Contains(e.Path, "{id}") {
			o["parameters"] = []jsonObj{{"name": "id", "in": "path", "required": true, "schema": jsonObj{"type": "string"}}}
		}
		op(e.Path, e.Method, o)
	}
}
