package httpapi

import (
	"reflect"
	"strings"

	"halochat/app/protocol"
)

// webhookComponents are the schemas of the webhook admin API and of the
// bodies deliveries carry (README.md#webhooks): WebhookEvent and the
// data of each event type.
func webhookComponents() []oaComponent {
	readOnly := oaNote("read-only")
	hook := map[string]jsonObj{
		"id": readOnly, "createdAt": readOnly, "updatedAt": readOnly,
		"url":                 oaNote("absolute http(s) URL deliveries are POSTed to (no user name or password); the outbound guard decides at each delivery whether its address may be reached"),
		"events[]":            oaOneOf("", protocol.WebhookEventTypes()...),
		"events":              oaNote("the event types delivered; at least one"),
		"disabled":            oaNote("nothing is recorded for a disabled webhook, and its pending deliveries wait"),
		"previousSecretUntil": oaNote("read-only: until then deliveries carry a second signature, made with the secret the last rotation replaced"),
	}
	input := map[string]jsonObj{"url": hook["url"], "events[]": hook["events[]"], "events": hook["events"], "disabled": hook["disabled"],
		"id": oaNote("optional; the id in the path when given")}
	ids := map[string]jsonObj{
		"chat_id": oaNote("the chat's id"), "profile_id": oaNote("its chat profile (configId)"),
		"user_id": oaNote("its user (token-named or portal user); null when anonymous"),
	}
	event := "one of " + strings.Join(protocol.WebhookEventTypes(), ", ")
	return []oaComponent{
		{"Webhook", reflect.TypeFor[protocol.Webhook](), nil, hook},
		{"WebhookInput", reflect.TypeFor[protocol.WebhookInput](), []string{"url", "events"}, input},
		{"WebhookWithSecret", reflect.TypeFor[protocol.WebhookWithSecret](), nil, oaWith(hook, map[string]jsonObj{
			"secret": oaNote("whsec_ and the base64 of the HMAC-SHA256 key; shown once")})},
		{"WebhookDelivery", reflect.TypeFor[protocol.WebhookDelivery](), nil, map[string]jsonObj{
			"eventId":       oaNote("the webhook-id header: the same on every attempt and resend"),
			"eventType":     oaOneOf("", protocol.WebhookEventTypes()...),
			"status":        oaOneOf("", protocol.DeliveryPending, protocol.DeliveryDelivered, protocol.DeliveryFailed),
			"lastError":     oaNote("why the last attempt failed: the HTTP status and the start of the answer, a timeout or a network error"),
			"lastStatus":    oaNote("HTTP status of the last answer; 0 when none came"),
			"nextAttemptAt": oaNote("while pending"),
			"payload":       oaNote("the body sent: a WebhookEvent"),
		}},
		{"WebhookDeliveries", reflect.TypeFor[protocol.WebhookDeliveries](), nil, map[string]jsonObj{
			"nextBefore": oaNote("when not 0, the next (older) page is ?before=nextBefore")}},
		{"WebhookEvent", reflect.TypeFor[protocol.WebhookEvent](), []string{"type", "timestamp", "data"}, map[string]jsonObj{
			"type":      oaOneOf(event, protocol.WebhookEventTypes()...),
			"timestamp": oaNote("when the change was committed (the webhook-timestamp header is the attempt's)"),
			"data":      oaNote("WebhookChatData (chat.started, chat.assigned, chat.transferred, chat.ended), WebhookMessageData (chat.message) or WebhookTicketData (ticket.*)"),
		}},
		{"WebhookChatData", reflect.TypeFor[protocol.WebhookChatData](), []string{"chat_id", "profile_id", "status"}, oaWith(ids, map[string]jsonObj{
			"agent_id":      oaNote("the agent holding the chat; null while none does"),
			"from_agent_id": oaNote("chat.transferred: the agent who held it before"),
			"status":        oaOneOf("after the change", "bot", "queued", "live", "ended"),
			"reason":        oaNote("chat.ended: visitor, agent, idle, flow, logout, …"),
			"ticket_id":     oaNote("chat.ended: the ticket logged from the chat"),
		})},
		{"WebhookMessageData", reflect.TypeFor[protocol.WebhookMessageData](), []string{"chat_id", "seq", "author", "text"}, oaWith(ids, map[string]jsonObj{
			"seq":      oaNote("the message's number in its chat; system notes take numbers too, so there may be gaps"),
			"author":   oaOneOf("", "visitor", "agent", "bot"),
			"agent_id": oaNote("the agent, for an agent's message"),
		})},
		{"WebhookTicketData", reflect.TypeFor[protocol.WebhookTicketData](), []string{"ticket_id", "status"}, map[string]jsonObj{
			"chat_id": oaNote("the chat it was logged from, if any"), "status": oaOneOf("", "open", "closed")}},
	}
}
