package chatapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/store"
)

func isEnd(m protocol.ChatMessage) bool { return m.Event == protocol.EventChatEnded }

// The demo flow end to end over the websocket: choice, question with a
// wrong then a right answer, create ticket (fields synced by label),
// end; the ticket read back over REST.
func TestVisitorBotFlowAndTicket(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		n := e.node(nodeOpts{})
		resp := n.mustStart(protocol.StartChatRequest{})
		if len(resp.Messages) != 2 || resp.Messages[1].Step != demo.StepMenu || len(resp.Messages[1].Choices) != 4 {
			t.Fatalf("start messages: %+v", resp.Messages)
		}
		if resp.Chat.Pending == nil || resp.Chat.Pending.Kind != "choice" || resp.Chat.Status != protocol.ChatStatusBot {
			t.Fatalf("start state: %+v", resp.Chat)
		}
		if resp.ResumeSecret == "" || resp.Chat.LastSeq != 2 {
			t.Fatalf("start: %+v", resp)
		}

		// Chat custom field values (as an identity token would give them),
		// and one whose label matches a ticket field that the ticket type
		// does not have: it must stay out of the ticket.
		notes := &store.CustomField{Entity: store.EntityChat, Name: "CFinternalNotes", Label: "Internal Notes", Type: store.FieldText}
		if err := e.st.CreateCustomField(ctx, notes); err != nil {
			t.Fatal(err)
		}
		var vals []store.ChatFieldValue
		for name, v := range map[string]string{"CFcustomerTier": "gold", "CFaccountNumber": "A-1", "CFinternalNotes": "keep out"} {
			f, err := e.st.GetCustomFieldByName(ctx, store.EntityChat, name)
			if err != nil {
				t.Fatal(err)
			}
			vals = append(vals, store.ChatFieldValue{FieldID: f.ID, Value: v})
		}
		if err := e.st.SetChatFieldValues(ctx, resp.ChatID, vals); err != nil {
			t.Fatal(err)
		}

		c := visitor(t, n, resp.ChatID, resp.ResumeSecret, resp.Chat.LastSeq)
		if a := choose(c, "c1", 0); a.Type != protocol.FrameAck || a.Seq != 3 {
			t.Fatalf("choose: %+v", a)
		}
		got := c.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Prompt != nil })
		if got[0].From != protocol.FromVisitor || got[0].Text != "A billing question" || got[1].Step != demo.StepAskEmail {
			t.Fatalf("after choice: %+v", got)
		}
		sendText(c, "c2", "not an email")
		bad := c.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Prompt != nil })
		if len(bad) != 3 || bad[1].Invalid != "email" || bad[1].Text != "That does not look like an email address." || bad[2].Step != demo.StepAskEmail {
			t.Fatalf("wrong answer: %+v", bad)
		}
		sendText(c, "c3", "jane@example.com")
		c.messagesUntil(resp.ChatID, func(m protocol.ChatMessage) bool { return m.Prompt != nil && m.Step == demo.StepAskProblem })
		sendText(c, "c4", "My invoice is wrong")
		end := c.messagesUntil(resp.ChatID, isEnd)
		var ticket int64
		for _, m := range end {
			if m.Event == protocol.EventTicketCreated {
				ticket = m.TicketID
			}
		}
		if ticket == 0 || !strings.Contains(end[len(end)-2].Text, "Your ticket number is "+strconv.FormatInt(ticket, 10)) {
			t.Fatalf("end: %+v", end)
		}
		all := append(append(append(got, bad...), end...), protocol.ChatMessage{})
		_ = all

		tok := n.agentToken(e.demo.Agent.Email, e.demo.Agent.Password)
		var td protocol.TicketDetail
		if code := n.call("GET", fmt.Sprintf("/api/Tickets/%d", ticket), nil, &td, "Authorization", "Bearer "+tok); code != 200 {
			t.Fatalf("get ticket: %d", code)
		}
		if td.Summary != "A billing question: My invoice is wrong" || td.ChatID != resp.ChatID || !strings.Contains(td.Details, "jane@example.com") {
			t.Fatalf("ticket: %+v", td)
		}
		fields := map[string]string{}
		for _, f := range td.Fields {
			fields[f.Name] = f.Value
		}
		if len(fields) != 2 || fields["CFcustomerTier"] != "gold" || fields["CFaccountNumber"] != "A-1" {
			t.Fatalf("ticket fields: %+v (want tier and account only, not internal notes)", td.Fields)
		}
		var detail protocol.ChatTranscript
		n.call("GET", "/api/Chat/"+resp.ChatID, nil, &detail, "Authorization", "Bearer "+tok)
		if detail.Chat.Status != protocol.ChatStatusEnded || detail.Chat.TicketID != ticket {
			t.Fatalf("chat: %+v", detail.Chat)
		}
		checkSeqs(t, detail.Messages, 1)
		var tl protocol.TicketList
		if code := n.call("GET", "/api/Tickets?chat_id="+resp.ChatID, nil, &tl, "Authorization", "Bearer "+tok); code != 200 || len(tl.Tickets) != 1 {
			t.Fatalf("list tickets: %d %+v", code, tl)
		}
		if code := n.call("GET", "/api/Tickets", nil, nil); code != http.StatusUnauthorized {
			t.Fatalf("tickets without login: %d", code)
		}
		// A message after the end is refused.
		if f := sendText(c, "c5", "hello?"); f.Type != protocol.FrameError || f.Error.Code != protocol.CodeChatEnded {
			t.Fatalf("after end: %+v", f)
		}
	})
}

func TestStartRefusals(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		n := e.node(nodeOpts{})
		p := e.demo.Profile
		portalFlow := demo.Flow()
		portalFlow.Name = "portal"
		portal := e.profileWithFlow(portalFlow, func(cp *store.ChatProfile) { cp.Access = store.AccessPortal })
		demoFlow := demo.Flow()
		demoFlow.Name = "origins"
		strict := e.profileWithFlow(demoFlow, func(cp *store.ChatProfile) { cp.AllowedOrigins = []string{"https://shop.example.com"} })
		count := func() int {
			l, err := e.st.ListChats(ctx, store.ChatFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return len(l)
		}
		before := count()
		for _, tc := range []struct {
			name   string
			req    protocol.StartChatRequest
			status int
			code   string
		}{
			{"unknown profile", protocol.StartChatRequest{ConfigID: "nope", ConfigKey: "x"}, 404, protocol.CodeProfileNotFound},
			{"wrong key", protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: "wrong"}, 401, protocol.CodeProfileNotFound},
			{"portal profile from outside", protocol.StartChatRequest{ConfigID: portal.ID, ConfigKey: portal.Key}, 403, protocol.CodeAccessDenied},
			{"origin not allowed", protocol.StartChatRequest{ConfigID: strict.ID, ConfigKey: strict.Key, HostOrigin: "https://evil.example"}, 403, protocol.CodeOriginNotAllowed},
			{"start step not allowed", protocol.StartChatRequest{StartStepOverride: demo.StepAskEmail}, 422, protocol.CodeStartStepNotAllowed},
			{"start step missing", protocol.StartChatRequest{StartStepOverride: 99}, 422, "start_step_not_found"},
			{"token not verifiable", protocol.StartChatRequest{IDToken: "a.b.c"}, 401, protocol.CodeInvalidToken},
		} {
			_, status, eb := n.start(tc.req)
			if status != tc.status || eb.Error.Code != tc.code {
				t.Errorf("%s: %d %+v, want %d %s", tc.name, status, eb, tc.status, tc.code)
			}
		}
		if got := count(); got != before {
			t.Fatalf("refused starts created %d chats", got-before)
		}
		// The call itself must come from the service's origin.
		code := n.call("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: p.ID, ConfigKey: p.Key}, nil, "Origin", "https://evil.example")
		if code != http.StatusForbidden {
			t.Fatalf("foreign Origin: %d", code)
		}
		// An allowed origin, and an allowed start step.
		if _, status, eb := n.start(protocol.StartChatRequest{ConfigID: strict.ID, ConfigKey: strict.Key, HostOrigin: "https://shop.example.com/"}); status != 201 {
			t.Fatalf("allowed origin: %d %+v", status, eb)
		}
		resp := n.mustStart(protocol.StartChatRequest{StartStepOverride: demo.StepGoldWelcome})
		if resp.Chat.StartStep != demo.StepGoldWelcome || resp.Messages[0].Step != demo.StepGoldWelcome {
			t.Fatalf("override: %+v", resp)
		}
		var av protocol.Availability
		if code := n.call("GET", "/chat/api/v1/availability?configId="+p.ID, nil, &av); code != 200 || !av.ChatAvailable {
			t.Fatalf("availability: %d %+v", code, av)
		}
	})
}
