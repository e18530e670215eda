package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/app/flow"
	"halochat/backend/demo"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// agentPassword is the password of the agents these tests create.
const agentPassword = "team agent password"

// newAgentOnline creates an agent, logs them in to the console and takes
// them online.
func (s *stack) newAgentOnline(t *testing.T, name string) (*store.Agent, *Browser) {
	t.Helper()
	a := &store.Agent{Email: name + "@agents.test", Name: name, Role: store.RoleAgent, PasswordHash: storetest.PasswordHash(t, agentPassword)}
	if err := s.store.CreateAgent(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.signIn(t, s, a.Email, agentPassword)
	b.openConsole(t, s.serviceURL+"/console/agent")
	click(t, b.Ctx, "#cc-online", "Go online")
	waitText(t, b.Ctx, "#cc-status", "Online")
	return a, b
}

// routeDemoTo makes the demo profile's transfer step hand chats to team.
func (s *stack) routeDemoTo(t *testing.T, team *store.Team) {
	t.Helper()
	ctx := context.Background()
	f := demo.Flow()
	f.Name = "routed to " + team.Name
	for i := range f.Steps {
		if f.Steps[i].Transfer != nil {
			f.Steps[i].Transfer.Team = team.ID
		}
	}
	fl := storetest.SaveFlow(t, s.store, f, flow.Schema{})
	p, err := s.store.GetProfile(ctx, s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.FlowID = fl.ID
	if err := s.store.UpdateProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
}

// eachDB runs a browser test on a stack per database.
func eachDB(t *testing.T, run func(t *testing.T, s *stack)) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		run(t, startStackWith(t, loopback.Options{DSN: dsn}))
	})
}

// TestAutoTeamHandsAChatToTheLeastBusyAgent: an auto team offers each
// chat to its online member with the fewest open chats: only that
// member's queue shows it ("offered to you"), and they accept it.
func TestAutoTeamHandsAChatToTheLeastBusyAgent(t *testing.T) {
	eachDB(t, func(t *testing.T, s *stack) {
		a, ab := s.newAgentOnline(t, "ana")
		b, bb := s.newAgentOnline(t, "ben")
		team := &store.Team{Name: "Support", Mode: store.TeamAuto, AcceptTimeout: 600, Members: []int64{a.ID, b.ID}}
		if err := s.store.CreateTeam(context.Background(), team); err != nil {
			t.Fatal(err)
		}
		s.routeDemoTo(t, team)
		consoles := map[int64]*Browser{a.ID: ab, b.ID: bb}

		first := s.startVisitor(t, nil)
		first.choose(t, "Talk to a person")
		c, err := s.store.GetChat(context.Background(), first.id)
		if err != nil || c.AgentID == 0 {
			t.Fatalf("the first chat was offered to nobody: %+v %v", c, err)
		}
		firstAgent := consoles[c.AgentID]
		waitText(t, firstAgent.Ctx, `.cc-queued[data-chat="`+first.id+`"]`, "offered to you")
		firstAgent.accept(t, first.id)

		// The other member holds no chat: the next one is theirs.
		other, otherID := bb, b.ID
		if c.AgentID == b.ID {
			other, otherID = ab, a.ID
		}
		second := s.startVisitor(t, nil)
		second.choose(t, "Talk to a person")
		waitText(t, other.Ctx, `.cc-queued[data-chat="`+second.id+`"]`, "offered to you")
		// The busier agent's console may have shown the chat for the moment
		// it waited for the team before the offer; once offered to the
		// other member, it leaves that queue.
		gone := `document.querySelectorAll('.cc-queued[data-chat="` + second.id + `"]').length === 0`
		if _, err := chromedp.Run(firstAgent.Ctx, chromedp.Poll[bool](gone, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Errorf("the busier agent's queue still shows the chat offered to the other: %v", err)
		}
		// The offer raised a desktop notification (counted whether or not
		// the headless browser shows it), and the console asked once for
		// the permission, remembering that it did.
		if n := other.eval(t, `document.querySelector(".cc-agentbar").dataset.notified`); n == "0" || n == "" {
			t.Errorf("the offer raised no notification (%q)", n)
		}
		if got := other.eval(t, `String(localStorage.getItem("halochat.console.notifications"))`); got != "true" {
			t.Errorf("the console did not remember asking for notifications: %q", got)
		}
		other.docScreenshot(t, "console-team-offer")
		other.accept(t, second.id)
		if c, err := s.store.GetChat(context.Background(), second.id); err != nil || c.AgentID != otherID || c.Status != store.ChatLive {
			t.Fatalf("the second chat: %+v %v; want live with agent %d", c, err, otherID)
		}
	})
}

// TestAgentTransfersAChatWithANote: the agent hands a live chat to a
// colleague with a note; the colleague's console opens it with the note
// (marked internal) and the whole history; the visitor reads "You are now
// talking to …" and never the note.
func TestAgentTransfersAChatWithANote(t *testing.T) {
	eachDB(t, func(t *testing.T, s *stack) {
		agent := s.agentOnline(t)
		colleague, cb := s.newAgentOnline(t, "carla")
		visitor, w, chatID := s.widgetChatWith(t, agent)
		typeAgent(t, agent, "Let me find the right person")
		waitText(t, w, ".hc-from-agent .hc-text", "Let me find the right person")

		const note = "Refund for order 1234 approved by finance"
		click(t, agent.Ctx, "#cc-transfer", "Transfer")
		waitText(t, agent.Ctx, "#cc-transfer-form", "Transfer to")
		agent.js(t, `(function(){var s=document.getElementById("cc-transfer-to"); s.value="agent:`+strconv.FormatInt(colleague.ID, 10)+`"; s.dispatchEvent(new Event("change"))})()`)
		agent.setValue(t, "cc-transfer-note", note)
		click(t, agent.Ctx, "#cc-transfer-go", "Transfer")
		waitText(t, agent.Ctx, ".cc-chat-handed", "You transferred this chat")

		waitText(t, cb.Ctx, `.cc-mychat[data-chat="`+chatID+`"]`, "Visitor")
		click(t, cb.Ctx, `.cc-mychat[data-chat="`+chatID+`"]`, "Visitor")
		waitText(t, cb.Ctx, ".cc-internal .cc-msg-text", note)
		waitText(t, cb.Ctx, ".cc-from-agent .cc-msg-text", "Let me find the right person")
		waitText(t, cb.Ctx, ".cc-from-system", "Transferred to carla")
		cb.docScreenshot(t, "console-transfer-note")
		typeAgent(t, cb, "Hi, Carla here")

		waitText(t, w, ".hc-from-agent .hc-text", "Hi, Carla here")
		waitText(t, w, ".hc-msg", "You are now talking to carla.")
		noNote(t, visitor, w, note)
	})
}

// TestInternalNoteIsInvisibleInTheWidget: a note written with the
// composer's Note toggle shows marked in the console and never reaches
// the widget, its storage or the host page's events.
func TestInternalNoteIsInvisibleInTheWidget(t *testing.T) {
	eachDB(t, func(t *testing.T, s *stack) {
		agent := s.agentOnline(t)
		visitor, w, chatID := s.widgetChatWith(t, agent)

		const note = "Visitor sounds upset: offer the voucher"
		agent.noteMode(t, true)
		typeAgent(t, agent, note)
		waitText(t, agent.Ctx, ".cc-internal .cc-msg-who", "internal note")
		waitText(t, agent.Ctx, ".cc-internal .cc-msg-text", note)
		msgs, err := s.store.MessagesAfter(context.Background(), chatID, 0, 100)
		if err != nil || !slices.ContainsFunc(msgs, func(m store.Message) bool { return m.Text == note && m.Internal }) {
			t.Fatalf("the note is not stored as internal: %v", err)
		}
		agent.noteMode(t, false)
		typeAgent(t, agent, "How can I help?")
		waitText(t, w, ".hc-from-agent .hc-text", "How can I help?")
		agent.docScreenshot(t, "console-internal-note")
		noNote(t, visitor, w, note)
	})
}

// noteMode turns the composer's Note switch on or off and waits until
// the console has taken it: the composer's placeholder says so. (A
// message typed before that is sent as what the switch was.)
func (b *Browser) noteMode(t *testing.T, on bool) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID("cc-input")), chromedp.Click(chromedp.ID("cc-note"))); err != nil {
		t.Fatalf("click the Note switch: %v", err)
	}
	js := fmt.Sprintf(`(function(){var i=document.getElementById("cc-input"); return !!i && i.placeholder.indexOf("Internal note")===0 === %t})()`, on)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the composer never took the Note switch (on=%t): %v", on, err)
	}
}

// widgetChatWith opens the widget on a host page, asks for a person and
// has agent accept: the host page's browser, the widget's context and
// the chat's id.
func (s *stack) widgetChatWith(t *testing.T, agent *Browser) (*Browser, context.Context, string) {
	t.Helper()
	visitor, _ := s.visitorOn(t, Options{}, "")
	visitor.dispatch(t, "openChatWindow", map[string]any{})
	chatID := chatIDOf(t, visitor.waitEvent(t, "chatStarted", 1))
	w := visitor.widget(t, s.serviceURL)
	click(t, w, ".hc-choice", "Talk to a person")
	agent.accept(t, chatID)
	return visitor, w, chatID
}

// noNote fails if note is anywhere in the widget's page or storage, or in
// the host page's events.
func noNote(t *testing.T, host *Browser, w context.Context, note string) {
	t.Helper()
	for _, where := range []string{`document.documentElement.outerHTML`, `JSON.stringify(Object.assign({}, localStorage, sessionStorage))`} {
		got, err := chromedp.Run(w, chromedp.Evaluate[string](where))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, note) {
			t.Errorf("the visitor's widget holds the internal note (%s)", where)
		}
	}
	for _, e := range host.events(t) {
		d, _ := json.Marshal(e.Detail)
		if strings.Contains(string(d), note) {
			t.Errorf("the host page's %s event carries the internal note", e.Name)
		}
	}
}
