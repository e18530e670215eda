package chats

import (
	"testing"

	"halochat/app/flow"
	"halochat/backend/store"
)

func TestRouteOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status string
		flow   flow.Status
		choice bool
		want   route
	}{
		{"text to an ended chat", store.ChatEnded, flow.StatusEnded, false, routeEnded},
		{"choice to an ended chat", store.ChatEnded, flow.StatusAwaitingChoice, true, routeEnded},
		{"answer to a question", store.ChatBot, flow.StatusAwaitingAnswer, false, routeBot},
		{"text to a choice (a typed label)", store.ChatBot, flow.StatusAwaitingChoice, false, routeBot},
		{"choice to a choice", store.ChatBot, flow.StatusAwaitingChoice, true, routeBot},
		{"choice to a question", store.ChatBot, flow.StatusAwaitingAnswer, true, routeNoChoice},
		{"choice to a live chat", store.ChatLive, flow.StatusLive, true, routeNoChoice},
		{"text to a live chat", store.ChatLive, flow.StatusLive, false, routeAppend},
		{"text to a queued chat", store.ChatQueued, flow.StatusAwaitingAgent, false, routeAppend},
		{"text while the bot calls a runbook", store.ChatBot, flow.StatusAwaitingRunbook, false, routeAppend},
		{"choice while the bot logs a ticket", store.ChatBot, flow.StatusAwaitingTicket, true, routeNoChoice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &store.Chat{Status: tc.status}
			if got := routeOf(c, flow.State{Status: tc.flow}, tc.choice); got != tc.want {
				t.Fatalf("route %d, want %d", got, tc.want)
			}
		})
	}
}
