package browsertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/store"
)

func (b *Browser) open(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}

func launcherColour(t *testing.T, b *Browser, want string) {
	t.Helper()
	_, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](
		`(function(){var b=`+launcher+`; return !!b && getComputedStyle(b).backgroundColor === "`+want+`"})()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`getComputedStyle(`+launcher+`).backgroundColor`))
		t.Fatalf("launcher colour = %s, want %s", got, want)
	}
}

func click(t *testing.T, ctx context.Context, selector, text string) {
	t.Helper()
	waitText(t, ctx, selector, text)
	js := `Array.from(document.querySelectorAll(` + jsString(selector) + `)).find(function(e){return e.textContent.indexOf(` + jsString(text) + `)>=0}).click()`
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		t.Fatalf("click %s %q: %v", selector, text, err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// typeAndSend types text into the composer and sends it with Enter. The
// Enter goes in the same stream as the keys: a mouse click on Send can
// overtake keystrokes still on their way into the iframe's renderer.
func typeAndSend(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	err := chromedp.Do(ctx,
		// Send waits for the chat; the input takes text before (the static window).
		chromedp.WaitEnabled(chromedp.CSS(".hc-composer .hc-send")),
		chromedp.SendKeys(chromedp.ID("hc-input"), text),
	)
	if err != nil {
		t.Fatalf("type %q: %v", text, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("hc-input").value === `+jsString(text),
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("hc-input").value`))
		t.Fatalf("the composer holds %q after typing %q", got, text)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("hc-input"), kb.Enter)); err != nil {
		t.Fatalf("press Enter: %v", err)
	}
}

// TestTokenCustomFieldsPickTheBranchAndReachTheTicket is the path of the
// vendor guide: a JWT carrying chat custom fields by database name and by
// label, a condition step on them, and a ticket whose fields get the
// values by label.
func TestTokenCustomFieldsPickTheBranchAndReachTheTicket(t *testing.T) {
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.open(t, s.hostPage(t, "", ""))

	ev := b.waitEvent(t, "initialized", 1)
	if ev.Detail["chatAvailable"] != true || ev.Detail["configId"] != s.demo.Profile.ID {
		t.Errorf("initialized %v", ev.Detail)
	}
	launcherColour(t, b, "rgb(31, 111, 235)") // the profile's colour
	b.dispatch(t, "initialize", map[string]any{"colour": "red"})
	launcherColour(t, b, "rgb(255, 0, 0)")
	b.waitEvent(t, "initialized", 2)

	tok := s.token(t, jwt.MapClaims{"sub": "cust-7", "given_name": "Grace", "email": "grace@example.test",
		"CFcustomerTier": "gold", "Account Number": "A-42"})
	b.dispatch(t, "openChatWindow", map[string]any{"id_token": tok, "retainPreviousChat": true})
	started := b.waitEvent(t, "chatStarted", 1)
	if started.Detail["authenticated"] != true || started.Detail["startStep"] != float64(1) {
		t.Errorf("chatStarted %v", started.Detail)
	}
	chatID, _ := started.Detail["chatId"].(string)
	if opened := b.waitEvent(t, "chatWindowOpened", 1); opened.Detail["chatId"] != nil && opened.Detail["chatId"] != chatID {
		t.Errorf("chatWindowOpened %v", opened.Detail)
	}

	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Hi Grace!")
	waitText(t, w, ".hc-msg", "As a Gold customer") // the condition's true branch
	click(t, w, ".hc-choice", "A technical problem")
	waitText(t, w, ".hc-msg", "Please describe it")
	typeAndSend(t, w, "My printer is on fire")
	ended := b.waitEvent(t, "chatEnded", 1)
	ticket, ok := ended.Detail["ticketId"].(float64)
	if !ok || ended.Detail["chatId"] != chatID || ended.Detail["reason"] != protocol.EndByFlow {
		t.Fatalf("chatEnded %v", ended.Detail)
	}
	waitText(t, w, ".hc-ticket", "Ticket #")

	ctx := context.Background()
	vals, err := s.store.TicketFieldValues(ctx, int64(ticket))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vals {
		got[v.Name] = v.Value
	}
	want := map[string]string{"CFcustomerTier": "gold", "CFaccountNumber": "A-42"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ticket field %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["CFinternalNotes"]; ok {
		t.Errorf("a field the chat has no value for was filled: %v", got)
	}
	tk, err := s.store.GetTicket(ctx, int64(ticket))
	if err != nil || !strings.Contains(tk.Summary, "My printer is on fire") {
		t.Errorf("ticket %+v, %v", tk, err)
	}
	// The visitor never sees chat custom fields.
	body, _ := chromedp.Run(w, chromedp.Evaluate[string](`document.body.innerText`))
	if strings.Contains(body, "A-42") {
		t.Error("the widget shows a chat custom field value to the visitor")
	}
}

func TestStartStepOverride(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	b.Allow("halochat:")

	b.dispatch(t, "openChatWindow", map[string]any{"startStepOverride": demo.StepMenu})
	e := b.waitEvent(t, "error", 1)
	if e.Detail["code"] != protocol.CodeStartStepNotAllowed || e.Detail["event"] != protocol.EventOpenChatWindow {
		t.Errorf("error %v, want start_step_not_allowed for openChatWindow", e.Detail)
	}
	if n := b.count(t, "chatStarted"); n != 0 {
		t.Errorf("a refused start step started %d chat(s)", n)
	}
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-notice", "step")

	b.dispatch(t, "openChatWindow", map[string]any{"startStepOverride": demo.StepGoldWelcome})
	started := b.waitEvent(t, "chatStarted", 1)
	if started.Detail["startStep"] != float64(demo.StepGoldWelcome) {
		t.Errorf("chatStarted %v, want startStep %d", started.Detail, demo.StepGoldWelcome)
	}
	waitText(t, w, ".hc-msg", "As a Gold customer")
}

func chatIDOf(t *testing.T, e event) string {
	t.Helper()
	id, _ := e.Detail["chatId"].(string)
	if id == "" {
		t.Fatalf("%s has no chatId: %v", e.Name, e.Detail)
	}
	return id
}

// TestConversationSurvivesAReload also runs with third-party cookies
// blocked: the widget then keeps the chat in partitioned storage, or in
// memory for the page's life.
func TestConversationSurvivesAReload(t *testing.T) {
	for _, blocked := range []bool{false, true} {
		name := "third-party storage allowed"
		if blocked {
			name = "third-party cookies blocked"
		}
		t.Run(name, func(t *testing.T) {
			s := startStack(t)
			b, _ := s.visitorOn(t, Options{BlockThirdPartyCookies: blocked}, "")
			b.dispatch(t, "openChatWindow", nil)
			first := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
			w := b.widget(t, s.serviceURL)
			waitText(t, w, ".hc-msg", "Welcome to the halochat demo")

			if err := chromedp.Do(b.Ctx, chromedp.Reload()); err != nil {
				t.Fatal(err)
			}
			b.waitEvent(t, "initialized", 1)
			b.dispatch(t, "openChatWindow", nil)
			opened := b.waitEvent(t, "chatWindowOpened", 1)
			if blocked && opened.Detail["chatId"] == nil {
				// Storage denied: the chat lasted as long as the page.
				b.waitEvent(t, "chatStarted", 1)
				return
			}
			if opened.Detail["chatId"] != first {
				t.Fatalf("after a reload chatWindowOpened %v, want chat %s", opened.Detail, first)
			}
			if n := b.count(t, "chatStarted"); n != 0 {
				t.Errorf("a reload started %d new chat(s)", n)
			}
			w = b.widget(t, s.serviceURL)
			waitText(t, w, ".hc-msg", "Welcome to the halochat demo")

			b.dispatch(t, "openChatWindow", map[string]any{"retainPreviousChat": false})
			second := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
			if second == first {
				t.Fatal("retainPreviousChat false resumed the chat")
			}
			ended := b.waitEvent(t, "chatEnded", 1)
			if ended.Detail["chatId"] != first {
				t.Errorf("chatEnded %v, want the first chat", ended.Detail)
			}
			c, err := s.store.GetChat(context.Background(), first)
			if err != nil || c.Status != store.ChatEnded {
				t.Errorf("the first chat after retainPreviousChat false: %+v, %v", c, err)
			}
		})
	}
}

// TestInitializeWithAnotherFlowRemovesTheOpenChat: docs/CONTRACT.md#reload-rules
// ("Another flow").
func TestInitializeWithAnotherFlowRemovesTheOpenChat(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	p2 := s.profileWithFlow(t, &flow.Flow{Name: "other", StartStep: 1, NextStepNumber: 2, Steps: []flow.Step{
		{Number: 1, Kind: flow.KindEnd, Text: "The other flow says goodbye."}}})

	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	first := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))

	b.dispatch(t, "initialize", map[string]any{"configId": p2.ID, "configKey": p2.Key})
	ended := b.waitEvent(t, "chatEnded", 1)
	if ended.Detail["chatId"] != first {
		t.Errorf("chatEnded %v, want the first profile's chat", ended.Detail)
	}
	if ev := b.waitEvent(t, "initialized", 2); ev.Detail["configId"] != p2.ID {
		t.Errorf("initialized %v", ev.Detail)
	}
	w := b.widget(t, s.serviceURL)
	if n, _ := chromedp.Run(w, chromedp.Evaluate[int](`document.querySelectorAll(".hc-msg").length`)); n != 0 {
		t.Errorf("the removed chat still shows %d message(s)", n)
	}
	b.dispatch(t, "openChatWindow", nil)
	if id := chatIDOf(t, b.waitEvent(t, "chatStarted", 2)); id == first {
		t.Error("the new profile resumed the old chat")
	}
	waitText(t, w, ".hc-msg", "The other flow says goodbye.")
	c, err := s.store.GetChat(ctx, first)
	if err != nil || c.Status != store.ChatEnded {
		t.Errorf("the first chat: %+v, %v", c, err)
	}
}

// TestEventsBeforeTheWidgetLoadedAreKept dispatches events right after the
// loader's script tag, long before the widget answers.
func TestEventsBeforeTheWidgetLoadedAreKept(t *testing.T) {
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	early := `window.dispatchEvent(new CustomEvent("haloChat_inboundEvent_initialize", {detail: {colour: "#00aa00"}}));
window.dispatchEvent(new CustomEvent("haloChat_inboundEvent_openChatWindow", {detail: {startStepOverride: ` +
		jsString("9") + `}}));`
	b.open(t, s.hostPage(t, `autoInitialize: false,`, early))
	started := b.waitEvent(t, "chatStarted", 1)
	if started.Detail["startStep"] != float64(demo.StepTransfer) {
		t.Errorf("chatStarted %v, want the queued event's start step 9", started.Detail)
	}
	launcherColour(t, b, "rgb(0, 170, 0)")
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Nobody is available right now") // the transfer's fallback: no agent online
	// The loader held both events until the widget was ready and sent
	// each once.
	for _, ev := range []string{"chatWindowOpened", "chatStarted", "initialized"} {
		if n := b.count(t, ev); n != 1 {
			t.Errorf("%s raised %d times, want once", ev, n)
		}
	}
}

func TestMalformedEventsAreReportedNotThrown(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	b.Allow("halochat:")
	tests := []struct {
		event  string
		detail any
		want   string
	}{
		{"initialize", map[string]any{"colour": "red;}body{display:none"}, "colour"},
		{"openChatWindow", map[string]any{"startStepOverride": "nine"}, "startStepOverride"},
		{"openChatWindow", map[string]any{"id_token": 42}, "id_token"},
		{"upgradeAnonChat", map[string]any{}, "id_token"},
		{"openChatWindow", map[string]any{"id_token": "not-a-jwt"}, "token"},
	}
	for i, tt := range tests {
		b.dispatch(t, tt.event, tt.detail)
		e := b.waitEvent(t, "error", i+1)
		if e.Detail["event"] != "haloChat_inboundEvent_"+tt.event || !strings.Contains(e.Detail["message"].(string), tt.want) {
			t.Errorf("%s %v: error %v, want one naming %s", tt.event, tt.detail, e.Detail, tt.want)
		}
	}
	launcherColour(t, b, "rgb(31, 111, 235)") // the bad colour reached no CSS
	if n := b.count(t, "chatStarted"); n != 0 {
		t.Errorf("malformed events started %d chat(s)", n)
	}
}

// TestAgentReplyReachesTheVisitor: an agent online in the console (its
// websocket), the visitor asks for a person, the agent accepts and writes.
func TestAgentReplyReachesTheVisitor(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	token, _, err := s.svc.Auth.Login(ctx, s.demo.Agent.Email, s.demo.Agent.Password)
	if err != nil {
		t.Fatal(err)
	}
	agent, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.serviceURL, "http")+"/agent/ws",
		&websocket.DialOptions{HTTPHeader: map[string][]string{"Authorization": {"Bearer " + token}, "Origin": {s.serviceURL}}})
	if err != nil {
		t.Fatalf("agent websocket: %v", err)
	}
	defer agent.CloseNow()
	send := func(f protocol.Frame) {
		f.V = protocol.ProtocolVersion
		b, _ := json.Marshal(f)
		if err := agent.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	next := func(typ string) protocol.Frame {
		for {
			_, data, err := agent.Read(ctx)
			if err != nil {
				t.Fatalf("agent waiting for %s: %v", typ, err)
			}
			var f protocol.Frame
			_ = json.Unmarshal(data, &f)
			if f.Type == protocol.FrameError && typ != protocol.FrameError {
				t.Fatalf("agent waiting for %s got an error: %+v", typ, f.Error)
			}
			if f.Type == typ && (typ != protocol.FrameQueue || len(f.Chats) > 0) {
				return f
			}
		}
	}
	send(protocol.Frame{Type: protocol.FrameHello})
	next(protocol.FrameReady)

	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	w := b.widget(t, s.serviceURL)
	click(t, w, ".hc-choice", "Talk to a person")

	q := next(protocol.FrameQueue)
	if q.Chats[0].ID != chatID {
		t.Fatalf("queue %+v, want chat %s", q.Chats, chatID)
	}
	send(protocol.Frame{Type: protocol.FrameAccept, ChatID: chatID})
	if acc := next(protocol.FrameAccepted); acc.Error != nil {
		t.Fatalf("accept: %+v", acc.Error)
	}
	send(protocol.Frame{Type: protocol.FrameSend, ChatID: chatID, ClientMsgID: "a1", Text: "Hello from Alex <b>bold</b>"})
	for i := 1; ; i++ {
		e := b.waitEvent(t, "messageReceived", i)
		if e.Detail["from"] == protocol.FromAgent {
			if e.Detail["text"] != "Hello from Alex <b>bold</b>" || e.Detail["chatId"] != chatID {
				t.Errorf("messageReceived %v", e.Detail)
			}
			break
		}
	}
	waitText(t, w, ".hc-from-agent .hc-name", s.demo.Agent.Name)
	waitText(t, w, ".hc-from-agent .hc-text", "Hello from Alex <b>bold</b>") // text, not markup
	if n, _ := chromedp.Run(w, chromedp.Evaluate[int](`document.querySelectorAll(".hc-messages b").length`)); n != 0 {
		t.Error("an agent's HTML was rendered as markup")
	}
	typeAndSend(t, w, "Thanks!")
	for {
		f := next(protocol.FrameMessage)
		if f.Message != nil && f.Message.From == protocol.FromVisitor && f.Message.Text == "Thanks!" {
			break
		}
	}
}

// TestHeartbeatModeRunsTheWholeFlow: chatMode "heartbeat" (long-polling
// instead of a websocket) through a choice, an answer and the ticket.
func TestHeartbeatModeRunsTheWholeFlow(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, `chatMode: "heartbeat",`)
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	w := b.widget(t, s.serviceURL)
	click(t, w, ".hc-choice", "A technical problem")
	waitText(t, w, ".hc-msg", "Please describe it")
	typeAndSend(t, w, "Sent over long-polling")
	ended := b.waitEvent(t, "chatEnded", 1)
	if ended.Detail["chatId"] != chatID || ended.Detail["ticketId"] == nil {
		t.Fatalf("chatEnded %v", ended.Detail)
	}
	msgs, err := s.store.MessagesAfter(context.Background(), chatID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Text == "Sent over long-polling" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the visitor's answer is stored %d times, want once", n)
	}
}

// TestKeyboardClosesTheWindowAndFocusReturns: Escape in the widget closes
// it (chatWindowClosed) and the keyboard focus is back on the launcher.
func TestKeyboardClosesTheWindowAndFocusReturns(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Welcome")
	if err := chromedp.Do(w, chromedp.SendKeys(chromedp.ID("hc-input"), kb.Escape)); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(t, "chatWindowClosed", 1)
	focused, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](
		`document.activeElement && document.activeElement.id === "halo-chat" && document.getElementById("halo-chat").shadowRoot.activeElement === `+launcher,
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || !focused {
		t.Errorf("after Escape the focus is not on the launcher: %v", err)
	}
}
