package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// visitorChat is a chat started over the widget's HTTP API (as the widget
// does from the iframe), for tests that need visitors but not their UI.
type visitorChat struct {
	s      *stack
	id     string
	secret string
	sent   int
	start  protocol.StartChatResponse
}

// startVisitor starts a chat on the demo profile, as the token's user
// when claims are given.
func (s *stack) startVisitor(t *testing.T, claims jwt.MapClaims) *visitorChat {
	t.Helper()
	req := protocol.StartChatRequest{ConfigID: s.demo.Profile.ID, ConfigKey: s.demo.Profile.Key, HostOrigin: strings.TrimSuffix(s.hostURL, "/")}
	if claims != nil {
		req.IDToken = s.token(t, claims)
	}
	v := &visitorChat{s: s}
	if code, body := v.post(t, "/chat/api/v1/start", req, &v.start); code != http.StatusCreated {
		t.Fatalf("start a chat: %d %s", code, body)
	}
	v.id, v.secret = v.start.ChatID, v.start.ResumeSecret
	return v
}

func (v *visitorChat) post(t *testing.T, path string, body, out any) (int, []byte) {
	t.Helper()
	r := v.s.api.For(t).Do("POST", path, body, protocol.HeaderResumeSecret, v.secret)
	if out != nil && r.Status/100 == 2 {
		r.Decode(out)
	}
	return r.Status, r.Body
}

// send sends the visitor's text or choice (long-poll transport).
func (v *visitorChat) send(t *testing.T, req protocol.SendRequest) {
	t.Helper()
	v.sent++
	req.ClientMsgID = fmt.Sprintf("v%d", v.sent)
	if code, body := v.post(t, "/chat/api/v1/chats/"+v.id+"/messages", req, nil); code != http.StatusOK {
		t.Fatalf("visitor send %+v: %d %s", req, code, body)
	}
}

// choose picks the demo menu's button with that label.
func (v *visitorChat) choose(t *testing.T, label string) {
	t.Helper()
	p := v.start.Chat.Pending
	if p == nil || !slices.Contains(p.Choices, label) {
		t.Fatalf("the chat does not offer %q: %+v", label, p)
	}
	i := slices.Index(p.Choices, label)
	v.send(t, protocol.SendRequest{Choice: &i})
}

// title waits until the tab's title is want.
func (b *Browser) title(t *testing.T, want string) {
	t.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`document.title === `+jsString(want),
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.title`))
		t.Fatalf("the tab's title is %q, want %q", got, want)
	}
}

func (b *Browser) eval(t *testing.T, expr string) string {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// agentOnline logs the demo agent in to the agent console and goes online.
func (s *stack) agentOnline(t *testing.T) *Browser {
	t.Helper()
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.signIn(t, s, s.demo.Agent.Email, s.demo.Agent.Password)
	b.openConsole(t, s.serviceURL+"/console/agent")
	click(t, b.Ctx, "#cc-online", "Go online")
	waitText(t, b.Ctx, "#cc-status", "Online")
	waitText(t, b.Ctx, ".cc-queue-empty", "Nobody is waiting")
	return b
}

// accept takes the chat from the console's queue.
func (b *Browser) accept(t *testing.T, chatID string) {
	t.Helper()
	click(t, b.Ctx, `.cc-queued[data-chat="`+chatID+`"] .cc-accept`, "Accept")
	waitText(t, b.Ctx, `.cc-mychat.cc-current[data-chat="`+chatID+`"]`, "")
}

// TestAgentConsoleCountsUnreadAndWaitingChats: with two chats taken, a
// message in the chat not shown raises its unread count and the tab's
// title; opening the chat clears both. A new waiting chat shows in the
// title too, and asks for attention (the beep, when the browser lets the
// console play it). The sound setting survives a reload.
func TestAgentConsoleCountsUnreadAndWaitingChats(t *testing.T) {
	s := startStack(t)
	agent := s.agentOnline(t)
	agent.title(t, "Agent console")
	alerts := func() string { return agent.eval(t, `document.querySelector(".cc-agentbar").dataset.alerts`) }
	if got := alerts(); got != "0" {
		t.Errorf("the console asked for attention %s time(s) before anyone waited", got)
	}

	first := s.startVisitor(t, nil)
	first.choose(t, "Talk to a person")
	waitText(t, agent.Ctx, `.cc-queued[data-chat="`+first.id+`"]`, "waiting")
	agent.title(t, "(1) Agent console")
	if got := alerts(); got != "1" {
		t.Errorf("a new waiting chat asked for attention %s time(s), want 1", got)
	}
	agent.accept(t, first.id)
	agent.title(t, "Agent console")

	second := s.startVisitor(t, nil)
	second.choose(t, "Talk to a person")
	agent.title(t, "(1) Agent console")
	agent.accept(t, second.id)
	agent.title(t, "Agent console")

	// The first chat is not shown: its visitor's messages count as unread.
	firstButton := `.cc-mychat[data-chat="` + first.id + `"]`
	first.send(t, protocol.SendRequest{Text: "Are you still there?"})
	waitText(t, agent.Ctx, firstButton+" .cc-unread", "1")
	agent.title(t, "(1) Agent console")
	first.send(t, protocol.SendRequest{Text: "Hello?"})
	waitText(t, agent.Ctx, firstButton+" .cc-unread", "2")
	agent.title(t, "(2) Agent console")
	if n := agent.eval(t, `String(document.querySelectorAll(".cc-mychat[data-chat=\"`+second.id+`\"] .cc-unread").length)`); n != "0" {
		t.Errorf("the chat shown has an unread badge")
	}
	// The shown chat's own messages are read as they come.
	second.send(t, protocol.SendRequest{Text: "I am the chat on screen"})
	waitText(t, agent.Ctx, ".cc-from-visitor .cc-msg-text", "I am the chat on screen")
	agent.title(t, "(2) Agent console")

	click(t, agent.Ctx, firstButton, "Visitor")
	waitText(t, agent.Ctx, ".cc-from-visitor .cc-msg-text", "Hello?")
	agent.title(t, "Agent console")
	if n := agent.eval(t, `String(document.querySelectorAll(".cc-unread").length)`); n != "0" {
		t.Errorf("%s unread badge(s) left after opening the chat", n)
	}

	// Sound off is remembered.
	if got := agent.value(t, "cc-sound"); got != "true" {
		t.Fatalf("sound is %s by default, want on", got)
	}
	agent.js(t, `document.getElementById("cc-sound").click()`)
	if _, err := chromedp.Run(agent.Ctx, chromedp.Poll[bool](`localStorage.getItem("halochat.console.sound") === "false"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the sound setting was not stored: %v", err)
	}
	agent.openConsole(t, s.serviceURL+"/console/agent")
	waitText(t, agent.Ctx, "#cc-status", "Away")
	if got := agent.value(t, "cc-sound"); got != "false" {
		t.Errorf("after a reload sound is %s, want off", got)
	}
}

// TestAgentSeesTheChatCustomFieldsTheVisitorDoesNot: a chat started from
// the widget with an identity token carrying chat custom fields: the
// agent's details panel shows the user, where the chat comes from, the
// flow step and the field values; the visitor's widget holds none of
// the values anywhere in its DOM.
func TestAgentSeesTheChatCustomFieldsTheVisitorDoesNot(t *testing.T) {
	s := startStack(t)
	agent := s.agentOnline(t)

	const account = "ACCT-7731-Z"
	visitor, _ := s.visitorOn(t, Options{}, "")
	tok := s.token(t, jwt.MapClaims{"sub": "cust-42", "given_name": "Grace", "family_name": "Hopper",
		"email": "grace@example.test", "CFcustomerTier": "gold", "Account Number": account})
	visitor.dispatch(t, "openChatWindow", map[string]any{"id_token": tok})
	chatID := chatIDOf(t, visitor.waitEvent(t, "chatStarted", 1))
	w := visitor.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "As a Gold customer")
	click(t, w, ".hc-choice", "Talk to a person")

	agent.accept(t, chatID)
	waitText(t, agent.Ctx, "#cc-details #cc-detail-profile dd", s.demo.Profile.Name)
	for sel, want := range map[string]string{
		"#cc-detail-user .cc-user-name":                                    "Grace Hopper",
		"#cc-detail-user .cc-user-email":                                   "grace@example.test",
		"#cc-detail-user .cc-user-external":                                "cust-42",
		"#cc-detail-context dd":                                            "the widget on a website",
		"#cc-detail-origin dd":                                             visitor.eval(t, `location.origin`),
		"#cc-detail-started dd":                                            ":",
		"#cc-detail-waited dd":                                             "s",
		"#cc-detail-flow dd":                                               "step",
		`#cc-chat-fields tr[data-field="CFaccountNumber"] th`:              "Account Number",
		`#cc-chat-fields tr[data-field="CFaccountNumber"] .cc-field-value`: account,
		`#cc-chat-fields tr[data-field="CFcustomerTier"] th`:               "Customer Tier",
		`#cc-chat-fields tr[data-field="CFcustomerTier"] .cc-field-value`:  "gold",
	} {
		waitText(t, agent.Ctx, sel, want)
	}
	if strings.Contains(agent.eval(t, `document.getElementById("cc-details").textContent`), "undefined") {
		t.Error("the details panel shows an undefined value")
	}
	agent.docScreenshot(t, "console-agent-details")

	// The agent writes, so the widget has rendered everything a live chat
	// shows; then nothing of the values may be in the widget's page.
	typeAgent(t, agent, "Hello Grace")
	waitText(t, w, ".hc-from-agent .hc-text", "Hello Grace")
	for _, where := range []string{`document.documentElement.outerHTML`, `JSON.stringify(Object.assign({}, localStorage, sessionStorage))`} {
		got, err := chromedp.Run(w, chromedp.Evaluate[string](where))
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{account, "Account Number", "CFaccountNumber"} {
			if strings.Contains(got, secret) {
				t.Errorf("the visitor's widget holds %q (%s)", secret, where)
			}
		}
	}
}

// typeAgent sends a message from the agent console's composer.
func typeAgent(t *testing.T, b *Browser, text string) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID("cc-input")),
		chromedp.SendKeys(chromedp.ID("cc-input"), text+kb.Enter)); err != nil {
		t.Fatal(err)
	}
}

// TestAgentSearchesTranscriptsByAWordOfTheMessages: the transcripts page
// finds the ended chat whose messages hold the word, not the other one,
// and opens it with its transcript and details.
func TestAgentSearchesTranscriptsByAWordOfTheMessages(t *testing.T) {
	s := startStack(t)
	for _, text := range []string{"My printer is on fire", "The kettle leaks"} {
		v := s.startVisitor(t, nil)
		v.choose(t, "A technical problem")
		v.send(t, protocol.SendRequest{Text: text})
	}
	chats, err := s.store.ListChats(context.Background(), store.ChatFilter{Status: store.ChatEnded})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{} // first word → chat id
	for _, c := range chats {
		msgs, err := s.store.MessagesAfter(context.Background(), c.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.HasPrefix(m.Text, "My printer") {
				ids["printer"] = c.ID
			}
			if strings.HasPrefix(m.Text, "The kettle") {
				ids["kettle"] = c.ID
			}
		}
	}
	if ids["printer"] == "" || ids["kettle"] == "" {
		t.Fatalf("the two chats did not end with their messages: %v", ids)
	}

	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.signIn(t, s, s.demo.Agent.Email, s.demo.Agent.Password)
	b.openConsole(t, s.serviceURL+"/console/transcripts")
	for _, id := range ids {
		waitText(t, b.Ctx, `.cc-transcript[data-chat="`+id+`"]`, "Visitor")
	}

	search := func(q string) {
		t.Helper()
		b.setValue(t, "cc-search", q)
		click(t, b.Ctx, "#cc-search-go", "Search")
		waitText(t, b.Ctx, "#cc-search-summary", "“"+q+"”")
	}
	search("PRINTER")
	waitText(t, b.Ctx, "#cc-search-summary", "1 transcript(s)")
	shown := b.eval(t, `Array.from(document.querySelectorAll(".cc-transcript")).map(function(e){return e.dataset.chat}).join(",")`)
	if shown != ids["printer"] {
		t.Fatalf("the search for PRINTER lists %q, want only %s (not %s)", shown, ids["printer"], ids["kettle"])
	}
	click(t, b.Ctx, `.cc-transcript[data-chat="`+ids["printer"]+`"]`, "Visitor")
	waitText(t, b.Ctx, ".cc-from-visitor .cc-msg-text", "My printer is on fire")
	waitText(t, b.Ctx, "#cc-detail-ticket dd", "printer")

	search("elephant")
	waitText(t, b.Ctx, "#cc-search-summary", "No transcript holds")
	if n := b.eval(t, `String(document.querySelectorAll(".cc-transcript").length)`); n != "0" {
		t.Errorf("a search without a match lists %s chat(s)", n)
	}
}

// TestAgentSeesATicketWithItsCustomFieldValues: a ticket logged from a
// token-started chat is listed on the tickets page and opens (by a click
// or by its link) with the custom field values synced from the chat.
func TestAgentSeesATicketWithItsCustomFieldValues(t *testing.T) {
	s := startStack(t)
	v := s.startVisitor(t, jwt.MapClaims{"sub": "cust-5", "given_name": "Ada", "email": "ada@example.test",
		"CFcustomerTier": "gold", "CFaccountNumber": "A-5150"})
	v.choose(t, "A technical problem")
	v.send(t, protocol.SendRequest{Text: "The screen is blank"})
	c, err := s.store.GetChat(context.Background(), v.id)
	if err != nil || c.TicketID == 0 {
		t.Fatalf("the chat logged no ticket: %+v %v", c, err)
	}
	row := fmt.Sprintf(`tr[data-ticket="%d"]`, c.TicketID)

	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.signIn(t, s, s.demo.Agent.Email, s.demo.Agent.Password)
	for _, open := range []func(){
		func() {
			b.openConsole(t, s.serviceURL+"/console/tickets")
			waitText(t, b.Ctx, row, "The screen is blank")
			click(t, b.Ctx, row+" .cc-ticket-link", fmt.Sprintf("#%d", c.TicketID))
		},
		func() { b.openConsole(t, fmt.Sprintf("%s/console/tickets?id=%d", s.serviceURL, c.TicketID)) },
	} {
		open()
		waitText(t, b.Ctx, "#cc-ticket h2", fmt.Sprintf("Ticket #%d", c.TicketID))
		for sel, want := range map[string]string{
			`#cc-ticket-fields tr[data-field="CFcustomerTier"]`:                  "Customer Tier",
			`#cc-ticket-fields tr[data-field="CFcustomerTier"] .cc-field-value`:  "gold",
			`#cc-ticket-fields tr[data-field="CFaccountNumber"]`:                 "Account Number",
			`#cc-ticket-fields tr[data-field="CFaccountNumber"] .cc-field-value`: "A-5150",
			"#cc-ticket .cc-code": "The screen is blank",
		} {
			waitText(t, b.Ctx, sel, want)
		}
		if n := b.eval(t, `String(document.querySelectorAll("#cc-ticket-fields tr[data-field=\"CFinternalNotes\"]").length)`); n != "0" {
			t.Error("a ticket field the chat had no value for is listed")
		}
	}
}
