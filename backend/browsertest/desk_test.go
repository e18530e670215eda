package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/golang-jwt/jwt/v5"

	"halochat/backend/store"
)

// TestAgentExpandsACannedResponse: in the composer, "/" and the start of
// a shortcut list the canned responses; the one picked is filled in for
// the chat (the visitor's first name, the agent's name, a chat custom
// field), edited by the agent and sent to the widget.
func TestAgentExpandsACannedResponse(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	for _, c := range []store.CannedResponse{
		{Shortcut: "greet", Text: "Hi {{user.firstname|there}}, {{agent.name}} here. Your tier: {{chat.Customer Tier}}."},
		{Shortcut: "goodbye", Text: "Bye!"},
		{Shortcut: "refund", Text: "Refunds take five days."},
	} {
		if err := s.store.CreateCannedResponse(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	agent := s.agentOnline(t)
	visitor, _ := s.visitorOn(t, Options{}, "")
	tok := s.token(t, jwt.MapClaims{"sub": "cust-43", "given_name": "Grace", "family_name": "Hopper", "CFcustomerTier": "gold"})
	visitor.dispatch(t, "openChatWindow", map[string]any{"id_token": tok})
	chatID := chatIDOf(t, visitor.waitEvent(t, "chatStarted", 1))
	w := visitor.widget(t, s.serviceURL)
	click(t, w, ".hc-choice", "Talk to a person")
	agent.accept(t, chatID)
	waitText(t, agent.Ctx, "#cc-detail-user .cc-user-name", "Grace Hopper")

	if err := chromedp.Do(agent.Ctx, chromedp.WaitVisible(chromedp.ID("cc-input")), chromedp.SendKeys(chromedp.ID("cc-input"), "/g")); err != nil {
		t.Fatal(err)
	}
	waitText(t, agent.Ctx, "#cc-canned .cc-canned-pick", "/goodbye")
	waitText(t, agent.Ctx, "#cc-canned .cc-canned-pick", "/greet")
	// "/" alone suggests every response; the render after the "g" keeps
	// only those that start with it.
	if _, err := chromedp.Run(agent.Ctx, chromedp.Poll[bool](`(() => { const c = document.getElementById("cc-canned");
		return !!c && c.textContent.includes("/greet") && !c.textContent.includes("refund"); })()`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the suggestions for /g hold /refund: %q", agent.eval(t, `document.getElementById("cc-canned").textContent`))
	}
	click(t, agent.Ctx, "#cc-canned .cc-canned-pick", "/greet")
	want := "Hi Grace, " + s.demo.Agent.Name + " here. Your tier: gold."
	if _, err := chromedp.Run(agent.Ctx, chromedp.Poll[bool](`document.getElementById("cc-input").value === `+jsString(want),
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the composer holds %q, want %q", agent.eval(t, `document.getElementById("cc-input").value`), want)
	}
	// The suggestions go with the render after the pick.
	if _, err := chromedp.Run(agent.Ctx, chromedp.Poll[bool](`!document.getElementById("cc-canned")`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("the suggestions stay after the pick: %v", err)
	}
	// The agent edits the text before sending it.
	if err := chromedp.Do(agent.Ctx, chromedp.SendKeys(chromedp.ID("cc-input"), " How can I help?"+kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitText(t, w, ".hc-from-agent .hc-text", want+" How can I help?")
	waitText(t, agent.Ctx, ".cc-messages", "How can I help?")

	// "/goodbye" and Enter fills the composer; it is not sent as typed.
	typeAgent(t, agent, "/goodbye")
	if _, err := chromedp.Run(agent.Ctx, chromedp.Poll[bool](`document.getElementById("cc-input").value === "Bye!"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the composer holds %q after /goodbye and Enter", agent.eval(t, `document.getElementById("cc-input").value`))
	}
	if strings.Contains(agent.eval(t, `document.querySelector(".cc-messages").textContent`), "/goodbye") {
		t.Error("the shortcut was sent as a message")
	}
}

// TestAdminSeesTheChatReport: the reports page charts today's chats and
// lists them by day, and by agent when asked.
func TestAdminSeesTheChatReport(t *testing.T) {
	s := startStack(t)
	for range 3 {
		s.startVisitor(t, nil)
	}
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.signIn(t, s, s.demo.Admin.Email, s.demo.Admin.Password)
	b.openConsole(t, s.serviceURL+"/console/admin/reports")
	today := time.Now().UTC().Format(time.DateOnly)
	waitText(t, b.Ctx, `#cc-report tr[data-key="`+today+`"] .cc-report-started`, "3")
	if n := b.eval(t, `String(document.querySelectorAll("#cc-chart rect[data-day='`+today+`']").length)`); n == "0" {
		t.Errorf("the chart has no bar for today")
	}
	if rows := b.eval(t, `String(document.querySelectorAll("#cc-report tbody tr").length)`); rows != "30" {
		t.Errorf("%s rows for the last 30 days (today the last), want 30", rows)
	}
	b.docScreenshot(t, "console-reports")
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("cc-report-group").value = "agent"`)); err != nil {
		t.Fatal(err)
	}
	click(t, b.Ctx, "#cc-report-show", "Show")
	waitText(t, b.Ctx, `#cc-report tr[data-key="0"]`, "(no agent)")
	if got := b.eval(t, `String(!!document.getElementById("cc-chart"))`); got != "false" {
		t.Error("the chart stays for a report by agent")
	}
}
