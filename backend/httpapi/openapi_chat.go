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
		// An API client reaches the chats (and their tickets) of the
		// chat profiles it is bound to (profileIds; none: every profile).
		chatsRead    = "a logged-in agent, or an API client with chats:read (the chats of its chat profiles)"
		chatsWrite   = "a logged-in agent, or an API client with chats:write (the chats of its chat profiles)"
		ticketsRead  = "a logged-in agent, or an API client with tickets:read (the tickets of its chat profiles: their chats' and their offline messages')"
		ticketsWrite = "a logged-in agent, or an API client with tickets:write (the tickets of its chat profiles: their chats' and their offline messages')"
	)
	return []ChatEndpoint{
		{"POST", "/chat/api/v1/start", "Start or resume a chat (protocol.StartChatRequest → StartChatResponse; 201 new, 200 resumed). A new chat's language (chat.language) is the profile's language, or for an auto profile the best of the catalogue's languages (en, de, fr, es, pt, nl, ar) for the request's languages (navigator.languages, at most 32 tags of 64 bytes: else 400 naming languages), then its Accept-Language header, then the profile's defaultLanguage; its system messages and the flow's translated texts are in it", widget},
		{"GET", "/chat/api/v1/availability", "Whether a profile can take a chat now (?configId=; protocol.Availability, with the profile's language and defaultLanguage for the widget's texts; cacheable; CORS: any origin). " +
			"Optional ?config= (a haloChatConfig) and ?initialize= (an initialize event's detail), as JSON, are checked as the widget checks them: " +
			"400 invalid_config / invalid_event naming the property; the detail's configId names the profile", "anyone"},
		{"GET", "/chat/api/v1/availability.js", "The same for the embed loader on a host page, which reports initialized without booting the widget: " +
			"a script setting document.currentScript.halochat to the Availability or to {error} (answered 200 either way, as a browser runs no other; " +
			"a host page that runs the loader allows the service's scripts, not always its fetches)", "anyone"},
		{"POST", "/chat/api/v1/offline", "Leave a message while nobody is in (protocol.OfflineMessageRequest → OfflineMessageResponse {ticketId}, 201): logs a ticket of the profile's ticket type for the token's user, with the chat custom fields the id_token carries copied by label; 400 naming each bad field (name, email, text; problems lists them when several); the origin and rate limits of a start", widget},
		{"POST", "/chat/api/v1/chats/{id}/upgrade", "upgradeAnonChat: sign the anonymous chat in as the token's user ({id_token} → ChatState)", visitor},
		{"GET", "/chat/api/v1/chats/{id}/messages", "Long-poll: messages after ?after=N, waiting up to ?wait= seconds (PollResponse)", visitor},
		{"POST", "/chat/api/v1/chats/{id}/messages", "Long-poll: send a message (SendRequest → Ack; idempotent by clientMsgId)", visitor},
		{"POST", "/chat/api/v1/chats/{id}/typing", "Long-poll: the visitor is (not) typing ({typing})", visitor},
		{"POST", "/chat/api/v1/chats/{id}/end", "End the chat as the visitor", visitor},
		{"POST", "/chat/api/v1/chats/{id}/attachments", "Attach a file (multipart/form-data, field file → protocol.Attachment {id, name, size, contentType, url}; 201) and add the message carrying it. Its type is sniffed from its bytes; over the profile's size limit (attachments.maxBytes, default 10 MiB) 413, a kind the profile does not take (attachments.types: image, pdf, text, office, zip; never HTML or SVG) 415, both naming the limit; nothing is stored on a refusal", visitor},
		{"GET", "/chat/api/v1/chats/{id}/attachments/{file}", "Download an attachment of the chat (nosniff, CSP sandbox; Content-Disposition attachment, inline for PNG, JPEG, GIF and WebP)", visitor},
		{"POST", "/chat/api/v1/chats/{id}/rating", "Rate the ended chat (RatingRequest {score: 1–5, comment: at most 2000 characters} → ChatRating): " +
			"201 the chat's rating, 200 replacing it within 10 minutes of the first (409 conflict after, naming the window); " +
			"400 naming score or comment; 409 conflict before the chat has ended or when the profile's ratingQuestion is off", visitor},
		{"POST", "/chat/api/v1/chats/{id}/transcript", "E-mail the chat's transcript (TranscriptMailRequest {email} → TranscriptMailQueued {email, remaining}, 202): " +
			"the messages as plain text in the chat's language, each file with its size and a signed download link valid for 7 days (GET /chat/api/v1/files/…), queued in the mail outbox and sent (with retries) in the background; " +
			"400 naming email; 409 conflict after 3 a chat; 503 mail_off on a service started without --smtp (Availability.mailTranscript is then false). " +
			"The visitor's refusals (this route's, the rating's, the offline form's, the uploads' 413 and 415) say what is wrong in the chat's language (the offline form's: the profile's, or the best for Accept-Language), after the field's name (\"email: …\")", visitor},
		{"GET", "/chat/api/v1/files/{chat}/{file}", "Download an attachment through a transcript mail's link (?expires= unix seconds, &sig= HMAC-SHA256 of chat, file and expiry under the service's link key): headers as the visitor's route, Cache-Control no-store, Referrer-Policy no-referrer. " +
			"403 bad_link for a link the service did not make (wrong, cut or changed: nothing is said of the file); 410 gone once it expired (7 days after the mail was queued, or at a secret key rotation) or the file was deleted (with its chat, or erased)", "anyone holding the mail's link"},
		{"GET", "/chat/ws", "The visitor's websocket (first frame: hello {chatId, resumeSecret, afterSeq}; protocol.Frame)", visitor},
		{"GET", "/agent/ws", "The agent console's websocket (queue, accept, watch, send, typing, end; protocol.Frame)", agent},
		{"GET", "/api/Chat", "List chats, newest first (protocol.ChatList), filtered and paged by the query parameters — ours and Halo's (chatprofile_id, ticket_id, page_no, page_size); ?q= searches: only chats whose messages or user (name, username, e-mail, external id) hold every word of q, case-insensitively, at most 200 (400 naming q: over 200 characters or 8 words)", chatsRead},
		{"POST", "/api/Chat", "Start a chat for a user with a first message — proactive outreach (protocol.OutreachRequest → ChatTranscript; 201, or 200 with the same chat for a resend of client_msg_id; 409 naming the user's open chat on the profile). From the bot (under the API client's name) the profile's flow then starts at its start step; with agent_id (or from an agent session) the chat is live with that agent. The user's widget shows it when opened with an identity token naming them", chatsWrite},
		{"GET", "/api/Chat/{id}", "A chat, its transcript and the visitor's rating, if any (protocol.ChatTranscript)", chatsRead},
		{"GET", "/api/Chat/{id}/details", "What an agent sees beside the transcript (protocol.ChatDetails): profile, user, context, host origin, the unverified e-mail hint, times, flow and current step, ticket, and the chat custom field values (never sent to the visitor)", chatsRead},
		{"POST", "/api/Chat/{id}/attachments", "Attach a file to the agent's live chat, as the visitor's route does (multipart/form-data, field file → protocol.Attachment; 201; 413, 415)", agent},
		{"GET", "/api/Chat/{id}/attachments/{file}", "Download an attachment of a chat the caller may read (headers as the visitor's route)", chatsRead},
		{"POST", "/api/Chat/{id}/accept", "Accept a queued chat (409 already_claimed: another agent won, or it is offered to another; 403 a team's chat and you are not in the team; 409 conflict: you hold as many chats as your cap, maxChats)", agent},
		{"POST", "/api/Chat/{id}/transfer", "Hand your live chat (an admin: any live chat) to another agent or a team (protocol.TransferRequest {agentId | teamId, note} → ChatState). To an agent (online, below their cap) or an auto team (its least busy free member) the chat stays live with the new agent and the visitor reads \"You are now talking to …\"; to a manual team it waits in the team's queue. The note is an internal note before it; the new agent reads it and the whole history. Emits the webhook chat.transferred. 400 naming agentId or teamId; 409 conflict: the agent is offline or at their cap, or nobody in the team can take it", agent},
		{"POST", "/api/Chat/{id}/end", "End a chat: as its agent, or as an API client (end reason api)", chatsWrite},
		{"GET", "/api/TransferTargets", "Whom the agent may hand a chat to (protocol.TransferTargets): the enabled agents, each with whether they are online, and the teams", agent},
		{"GET", "/api/ChatMessage", "A chat's messages (protocol.MessageList) after a sequence number: ?chat_id=&after=, or Halo's ?chat_id=&last_id=&max_id= (after last_id, up to max_id)", chatsRead},
		{"POST", "/api/ChatMessage", "Post a message ({chat_id, client_msg_id, text} → Ack, 201; idempotent on client_msg_id): an agent into its live chat; an API client as the bot under its name into any open chat, or with agent_id as that agent into a chat live with it. Halo's form, an array of {chat_id, text}, is answered with one {chat_id, seq, …} each, in order; a refusal names its index ([2].text: …). With \"internal\": true the message is an internal note, into any chat the agent may read (an API client names the agent with agent_id): agents and the transcript show it marked; the visitor's widget, API and events, and a ticket's transcript never carry it; webhooks' chat.message marks it internal", chatsWrite},
		{"POST", "/api/ChatMessage/IsTyping", "The agent is (not) typing ({chat_id, typing})", agent},
		{"GET", "/api/Tickets", "List tickets (?chat_id=&user_id=&status=&offset=&limit=, or page_no=&page_size=)", ticketsRead},
		{"GET", "/api/Tickets/{id}", "A ticket with its custom field values", ticketsRead},
		{"PUT", "/api/Tickets/{id}", "Change a ticket's status (open, closed) and custom field values by database name (protocol.TicketUpdate → TicketDetail); a value that does not fit its field's type, a field the ticket's type lacks or another status is a 422 naming it, and nothing changes", ticketsWrite},
	}
}

// chatQueryParams are the query parameters of the chat runtime's routes
// that take any, by "METHOD path": ours and Halo's spellings of each.
func chatQueryParams() map[string][]jsonObj {
	str := func(name, desc string) jsonObj {
		return jsonObj{"name": name, "in": "query", "description": desc, "schema": jsonObj{"type": "string"}}
	}
	num := func(name, desc string) jsonObj {
		return jsonObj{"name": name, "in": "query", "description": desc, "schema": jsonObj{"type": "integer", "minimum": 0}}
	}
	paging := []jsonObj{
		num("offset", "skip this many"), num("limit", "at most this many (default 100, at most 1000)"),
		num("page_no", "Halo's: the page, from 1 (with page_size; not with offset)"), num("page_size", "Halo's name of limit"),
	}
	return map[string][]jsonObj{
		"GET /api/Chat": append([]jsonObj{
			str("status", "bot, queued, live or ended"), str("profile_id", "the chat profile"),
			str("chatprofile_id", "Halo's name of profile_id"), num("user_id", ""), num("agent_id", ""),
			num("ticket_id", "Halo's: the chat the ticket was logged from"), str("q", "search text"),
		}, paging...),
		"GET /api/ChatMessage": {
			str("chat_id", "required"), num("after", "the messages after this sequence number"),
			num("last_id", "Halo's name of after"), num("max_id", "Halo's: up to this sequence number"),
		},
		"GET /api/Tickets": append([]jsonObj{str("chat_id", ""), num("user_id", ""), str("status", "open or closed")}, paging...),
	}
}

// addChatEndpoints puts ChatEndpoints into the document's paths.
func addChatEndpoints(op func(path, method string, o jsonObj)) {
	queries := chatQueryParams()
	for _, e := range ChatEndpoints() {
		o := jsonObj{
			"summary":     e.Summary,
			"operationId": strings.ToLower(e.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "").Replace(e.Path),
			"tags":        []string{"chat"},
			"description": "Access: " + e.Access + ". Bodies are the JSON types of app/protocol (chat.go, agent.go); refusals are {\"error\":{\"code\",\"message\",\"field\"}}.",
			"responses":   jsonObj{"default": jsonObj{"description": "See the summary; errors as {\"error\":{\"code\",\"message\"}}"}},
		}
		var params []jsonObj
		if strings.Contains(e.Path, "{id}") {
			params = append(params, jsonObj{"name": "id", "in": "path", "required": true, "schema": jsonObj{"type": "string"}})
		}
		if strings.Contains(e.Path, "{file}") {
			params = append(params, jsonObj{"name": "file", "in": "path", "required": true, "description": "the attachment's id",
				"schema": jsonObj{"type": "string"}})
		}
		params = append(params, queries[e.Method+" "+e.Path]...)
		if len(params) > 0 {
			o["parameters"] = params
		}
		op(e.Path, e.Method, o)
	}
}
