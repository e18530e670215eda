package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/golang-jwt/jwt/v5"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/store"
)

// openConsole loads a console page and waits until its wasm runs.
func (b *Browser) openConsole(t *testing.T, url string) time.Duration {
	t.Helper()
	start := time.Now()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(url), chromedp.WaitNotPresent(chromedp.ID("app-wasm-loader"))); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return time.Since(start)
}

// newFlow creates a bot flow called name on the open flows page and adds
// one step of each kind, in order, checking each is added as that kind.
func (b *Browser) newFlow(t *testing.T, name string, kinds ...flow.Kind) {
	t.Helper()
	b.setValue(t, "cc-new-flow", name)
	click(t, b.Ctx, "#cc-create-flow", "Create")
	waitText(t, b.Ctx, "h1", "Bot flow: "+name)
	for i, kind := range kinds {
		b.setValue(t, "fl-newkind", string(kind))
		click(t, b.Ctx, "#fl-add", "Add step")
		waitText(t, b.Ctx, fmt.Sprintf("#step-%d .cc-step-no", i+1), fmt.Sprintf("Step %d", i+1))
		if got := b.value(t, fmt.Sprintf("st-%d-kind", i+1)); got != string(kind) {
			t.Fatalf("step %d added as a %s, want %s", i+1, got, kind)
		}
	}
}

// addCriterion adds a criterion to the condition step and waits for its
// value field.
func (b *Browser) addCriterion(t *testing.T, step int) {
	t.Helper()
	click(t, b.Ctx, fmt.Sprintf("#step-%d .cc-add-criterion", step), "Add a criterion")
	if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("st-%d-crit-0-value", step)))); err != nil {
		t.Fatalf("add a criterion to step %d: %v", step, err)
	}
}

// consoleLogin logs in through the login page and waits for the page it
// leads to.
func (b *Browser) consoleLogin(t *testing.T, s *stack, email, password string) {
	t.Helper()
	d := b.openConsole(t, s.serviceURL+"/console/login")
	t.Logf("console login page: navigation → wasm running in %v", d)
	err := chromedp.Do(b.Ctx,
		chromedp.WaitVisible(chromedp.ID("cc-email")),
		chromedp.SendKeys(chromedp.ID("cc-email"), email),
		chromedp.SendKeys(chromedp.ID("cc-password"), password+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(".cc-header")),
	)
	if err != nil {
		got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("log in as %s: %v\nthe page shows:\n%s", email, err, got)
	}
	waitText(t, b.Ctx, ".cc-who", "(")
}

// signIn logs the browser in to the console as the agent with email and
// password through the API the login page calls (POST /auth/login) and
// hands it the session cookie that answer sets; it opens no page. The
// tests whose subject is a console page open that page at once: a typed
// login first cost each ~2.3 s and a load of the console's wasm. The
// login page itself is typed into (consoleLogin) by an agent in
// TestConsoleAgentAcceptsAQueuedChatAndTalks and by an admin in
// TestConsoleAdminEditsAProfileAndSeesTheEmbedSnippet.
func (b *Browser) signIn(t *testing.T, s *stack, email, password string) {
	t.Helper()
	var login protocol.AgentLogin
	s.api.For(t).Do("POST", "/auth/login", map[string]string{"email": email, "password": password}).
		Expect(200).Decode(&login)
	httpOnly := true
	if _, err := chromedp.Call(b.Ctx, network.SetCookie, network.SetCookieParams{
		Name: auth.SessionCookie, Value: login.Token, URL: s.serviceURL + "/", Path: "/",
		HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteStrict,
	}); err != nil {
		t.Fatalf("hand the browser %s's session: %v", email, err)
	}
}

// js runs an expression in the tab and fails the test on error.
func (b *Browser) js(t *testing.T, expr string) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
}

// setValue sets a form element's value, as the pages read them from the
// DOM when the user acts.
func (b *Browser) setValue(t *testing.T, id, value string) {
	t.Helper()
	b.js(t, `(function(){var e=document.getElementById(`+jsString(id)+`); if(!e) throw new Error("no element #"+`+jsString(id)+`); e.value=`+jsString(value)+`})()`)
}

func (b *Browser) value(t *testing.T, id string) string {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(function(){var e=document.getElementById(`+jsString(id)+`); return e ? (e.type==="checkbox" ? String(e.checked) : e.value) : "<missing>"})()`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// docScreenshot saves a screenshot for the README under docs/screenshots.
func (b *Browser) docScreenshot(t *testing.T, name string) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Logf("viewport: %v", err)
	}
	// A cross-site iframe (the widget) paints in its own process: a
	// capture right after the resize showed parts of it blank.
	_ = chromedp.Do(b.Ctx, chromedp.Sleep(500*time.Millisecond))
	p := b.Screenshot(t, name)
	if p == "" {
		return
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Logf("read screenshot: %v", err)
		return
	}
	// The README's screenshots are rewritten only on request (make
	// screenshots): every run would otherwise change tracked files.
	if os.Getenv("HALOCHAT_DOC_SCREENSHOTS") != "1" {
		return
	}
	dir := filepath.Join(moduleRoot(), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), data, 0o644)
	}
}

// TestConsoleAgentAcceptsAQueuedChatAndTalks: an agent logs in to the
// console and goes online; a visitor on another site asks for a person;
// the agent sees the chat in the queue, accepts it, and they talk.
func TestConsoleAgentAcceptsAQueuedChatAndTalks(t *testing.T) {
	s := startStack(t)
	agent := New(t, Options{})
	agent.ScreenshotOnFailure(t)
	agent.consoleLogin(t, s, s.demo.Agent.Email, s.demo.Agent.Password)
	d := agent.openConsole(t, s.serviceURL+"/console/agent")
	t.Logf("console agent page: navigation → wasm running in %v (warm)", d)
	click(t, agent.Ctx, "#cc-online", "Go online")
	waitText(t, agent.Ctx, "#cc-status", "Online")
	waitText(t, agent.Ctx, ".cc-queue-empty", "Nobody is waiting")

	visitor, _ := s.visitorOn(t, Options{}, "")
	visitor.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, visitor.waitEvent(t, "chatStarted", 1))
	w := visitor.widget(t, s.serviceURL)
	click(t, w, ".hc-choice", "Talk to a person")

	waitText(t, agent.Ctx, ".cc-queued", "waiting")
	click(t, agent.Ctx, `.cc-queued[data-chat="`+chatID+`"] .cc-accept`, "Accept")
	waitText(t, agent.Ctx, ".cc-chat-head h2", "Visitor")
	err := chromedp.Do(agent.Ctx, chromedp.WaitVisible(chromedp.ID("cc-input")),
		chromedp.SendKeys(chromedp.ID("cc-input"), "Hello from the console"+kb.Enter))
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, w, ".hc-from-agent .hc-text", "Hello from the console")
	waitText(t, w, ".hc-from-agent .hc-name", s.demo.Agent.Name)

	if err := chromedp.Do(w, chromedp.SendKeys(chromedp.ID("hc-input"), "Thanks")); err != nil {
		t.Fatal(err)
	}
	waitText(t, agent.Ctx, ".cc-typing", "is typing")
	if err := chromedp.Do(w, chromedp.SendKeys(chromedp.ID("hc-input"), "!"+kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitText(t, agent.Ctx, ".cc-from-visitor .cc-msg-text", "Thanks!")
	agent.docScreenshot(t, "console-agent")

	// A visitor's markup is text in the console, never elements.
	typeAndSend(t, w, `<b>bold</b> <img src=x onerror="document.title='pwned'">`)
	waitText(t, agent.Ctx, ".cc-from-visitor .cc-msg-text", "<b>bold</b>")
	if n, err := chromedp.Run(agent.Ctx, chromedp.Evaluate[int](`document.querySelectorAll(".cc-msg-text b, .cc-msg-text img").length`)); err != nil || n != 0 {
		t.Errorf("a visitor's HTML became %d element(s) in the console (%v)", n, err)
	}

	click(t, agent.Ctx, "#cc-end", "End chat")
	if e := visitor.waitEvent(t, "chatEnded", 1); e.Detail["reason"] != protocol.EndByAgent {
		t.Errorf("chatEnded %v, want reason %q", e.Detail, protocol.EndByAgent)
	}
	waitText(t, agent.Ctx, ".cc-chat-ended", "This chat has ended")
}

// TestConsoleAdminEditsAProfileAndSeesTheEmbedSnippet: field errors are
// shown at their field; the embed section holds the real URL, id and key,
// and an openChatWindow example for each start-allowed step.
func TestConsoleAdminEditsAProfileAndSeesTheEmbedSnippet(t *testing.T) {
	// The typed login of an admin lands on the profiles page.
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.Allow("400 (Bad Request)") // the refused save below
	b.consoleLogin(t, s, s.demo.Admin.Email, s.demo.Admin.Password)
	waitText(t, b.Ctx, ".cc-profile-link", s.demo.Profile.Name)
	click(t, b.Ctx, ".cc-profile-link", s.demo.Profile.Name)
	waitText(t, b.Ctx, "#cc-snippet", s.demo.Profile.Key)

	checkEmbedSnippet(t, s, b)

	// A wrong colour is refused at its field, and nothing is saved.
	b.setValue(t, "pf-appearance.colour", "not a colour;}")
	click(t, b.Ctx, "#pf-save", "Save")
	b.expectBanner(t, b.Ctx, ".cc-error", "Some settings need fixing (see the fields marked).")
	waitText(t, b.Ctx, `[data-field="appearance.colour"] .cc-field-error`, "Not a CSS colour")
	// A setting only the server can check is shown at its field too.
	b.setValue(t, "pf-appearance.colour", "teal")
	b.setValue(t, "pf-availability.timeZone", "Mars/Olympus")
	click(t, b.Ctx, "#pf-save", "Save")
	b.expectBanner(t, b.Ctx, ".cc-error", `Not saved: availability.timeZone: "Mars/Olympus" is not an IANA time zone`)
	waitText(t, b.Ctx, `[data-field="availability.timeZone"] .cc-field-error`, "Mars/Olympus")
	b.setValue(t, "pf-availability.timeZone", "Europe/London")
	// The maximum token lifetime: checked at its field, then saved.
	b.setValue(t, "pf-identity.maxTokenLifetimeSeconds", "30")
	click(t, b.Ctx, "#pf-save", "Save")
	waitText(t, b.Ctx, `[data-field="identity.maxTokenLifetimeSeconds"] .cc-field-error`, "from 60 to 2592000")
	b.setValue(t, "pf-identity.maxTokenLifetimeSeconds", "3600")
	b.setValue(t, "pf-appearance.title", "Talk to Support")
	b.setValue(t, "pf-agentChatVisibility", protocol.VisibilityQueueAndOwn)
	click(t, b.Ctx, "#pf-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved.")
	p, err := s.store.GetProfile(context.Background(), s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Appearance.Colour != "teal" || p.Appearance.Title != "Talk to Support" || p.Availability.TimeZone != "Europe/London" ||
		p.Identity.MaxTokenLifetimeSeconds != 3600 || p.AgentChatVisibility != protocol.VisibilityQueueAndOwn {
		t.Errorf("stored appearance %+v, availability %+v, identity %+v, agent chat visibility %q", p.Appearance, p.Availability, p.Identity, p.AgentChatVisibility)
	}
	// Trusting the e-mail hint is off by default and warned about.
	if on, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.getElementById("pf-trustEmailStorage").checked`)); err != nil || on {
		t.Errorf("trust the e-mail hint is checked (%v) on the demo profile", err)
	}
	waitText(t, b.Ctx, "#pf-trust-warning", "never signs anyone in")
	// HS256 secrets are write-only: the form shows their kids and its
	// round trip keeps the stored secret it never saw.
	shown, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.getElementById("pf-identity.hs256Secrets").value`))
	if err != nil {
		t.Fatal(err)
	}
	if seeded := s.demo.Identity.HS256Secret; strings.Contains(shown, seeded) || !strings.Contains(shown, `"kid": "demo"`) {
		t.Errorf("the form shows HS256 secrets %q: want the kid alone", shown)
	}
	if len(p.Identity.HS256Secrets) != 1 || p.Identity.HS256Secrets[0].Secret != s.demo.Identity.HS256Secret {
		t.Errorf("after the form's save the stored HS256 secrets are %+v: want the seeded one kept", p.Identity.HS256Secrets)
	}
	// A new secret is made behind a warning and shown once.
	click(t, b.Ctx, "#pf-secret-new", "New secret")
	waitText(t, b.Ctx, ".cc-warning", "refused at once")
	click(t, b.Ctx, "#pf-secret-confirm", "Make a new secret")
	waitText(t, b.Ctx, "#pf-new-secret", "shown this once")
	made, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.querySelector("#pf-new-secret pre").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if p, err = s.store.GetProfile(context.Background(), s.demo.Profile.ID); err != nil {
		t.Fatal(err)
	}
	if len(p.Identity.HS256Secrets) != 1 || p.Identity.HS256Secrets[0].Secret != made || len(made) < 32 {
		t.Errorf("the new secret shown %q, stored %+v", made, p.Identity.HS256Secrets)
	}
	click(t, b.Ctx, "#cc-copy", "Copy")
	b.js(t, `document.getElementById("cc-embed").scrollIntoView()`)
	b.docScreenshot(t, "console-profile-embed")

	// The token tester says what a token's claims would fill.
	tok := s.token(t, jwt.MapClaims{"sub": "u1", "Customer Tier": "gold", "CFaccountNumber": "A-1"})
	b.setValue(t, "tt-token", tok)
	click(t, b.Ctx, "#tt-decode", "Decode")
	waitText(t, b.Ctx, "#cc-token-test .cc-claim", "chat custom field CFcustomerTier (by label)")
	waitText(t, b.Ctx, "#cc-token-test .cc-claim", "chat custom field CFaccountNumber (by database name)")

	// Regenerating the key warns first, then shows the new key.
	click(t, b.Ctx, "#cc-regen", "Regenerate key")
	waitText(t, b.Ctx, ".cc-warning", "update their snippet")
	click(t, b.Ctx, "#cc-regen-confirm", "Regenerate the key")
	waitText(t, b.Ctx, ".cc-ok", "A new key")
	p, err = s.store.GetProfile(context.Background(), s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key == s.demo.Profile.Key {
		t.Fatal("the key did not change")
	}
	waitText(t, b.Ctx, "#cc-snippet", p.Key)
}

// checkEmbedSnippet checks the embed section: the snippet with the real URL,
// id and key, and an openChatWindow example for each start-allowed step.
func checkEmbedSnippet(t *testing.T, s *stack, b *Browser) {
	t.Helper()
	snippet, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.getElementById("cc-snippet").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<div id="halo-chat"></div>`, `chatServiceUrl: "` + s.serviceURL + `"`,
		`configId: "` + s.demo.Profile.ID + `"`, `configKey: "` + s.demo.Profile.Key + `"`,
		`<script src="` + s.serviceURL + `/chat/index.js"></script>`} {
		if !strings.Contains(snippet, want) {
			t.Errorf("the snippet lacks %s:\n%s", want, snippet)
		}
	}
	var starts []int
	f, err := s.store.GetCurrentFlowVersion(context.Background(), s.demo.Flow.ID)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := flow.Parse(f.Document)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range parsed.Steps {
		if st.CanStart {
			starts = append(starts, st.Number)
		}
	}
	for _, n := range starts {
		waitText(t, b.Ctx, "#cc-examples", fmt.Sprintf("startStepOverride: %d", n))
	}
	waitText(t, b.Ctx, "#cc-examples", "haloChat_inboundEvent_initialize")
}

// TestConsoleFlowEditorSavesReloadsAndPreviewsLikeTheServer: an admin
// builds a flow with a condition on a chat custom field and a
// start-allowed step; a save with a problem shows it at its step; the
// saved flow reloads unchanged; the preview takes the branch the server
// takes for the same value.
func TestConsoleFlowEditorSavesReloadsAndPreviewsLikeTheServer(t *testing.T) {
	s, b := adminConsole(t, "400 (Bad Request)") // the refused save below
	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	waitText(t, b.Ctx, "h1", "Bot flows")
	b.newFlow(t, "Console flow", flow.KindCondition, flow.KindMessage, flow.KindMessage, flow.KindEnd)
	b.addCriterion(t, 1)
	waitText(t, b.Ctx, "#step-1 .cc-criterion", "")
	for id, v := range map[string]string{
		"st-1-title": "Gold customers?", "st-1-crit-0-src": "chat", "st-1-crit-0-name": "CFcustomerTier",
		"st-1-crit-0-op": "equals", "st-1-crit-0-value": "gold", "st-1-true": "2",
		"st-2-text": "Welcome, gold customer.", "st-2-next": "4",
		"st-3-text": "Welcome.", "st-3-next": "4",
		"st-4-text": "Bye.",
	} {
		b.setValue(t, id, v)
	}
	b.js(t, `document.getElementById("st-2-canstart").click()`)
	// No false branch yet: the save is refused, with the problem at step 1.
	click(t, b.Ctx, "#fl-save", "Save")
	b.expectBanner(t, b.Ctx, ".cc-error", "Not saved: 1 problem(s), shown at their steps.")
	waitText(t, b.Ctx, "#step-1.cc-step-invalid .cc-problems", "false")
	b.setValue(t, "st-1-false", "3")
	click(t, b.Ctx, "#fl-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved as version 1")

	// Reload: the editor shows what was saved.
	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	click(t, b.Ctx, ".cc-flow-link", "Console flow")
	waitText(t, b.Ctx, "#fl-version", "Version 1")
	if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID("st-1-crit-0-value"))); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"st-1-kind": "condition", "st-1-title": "Gold customers?", "st-1-crit-0-name": "CFcustomerTier", "st-1-crit-0-op": "equals",
		"st-1-crit-0-value": "gold", "st-1-true": "2", "st-1-false": "3", "st-2-canstart": "true", "st-3-canstart": "false",
		"st-2-text": "Welcome, gold customer.", "st-2-next": "4", "st-3-next": "4", "st-4-kind": "end", "st-4-text": "Bye.", "fl-start": "1",
	} {
		if got := b.value(t, id); got != want {
			t.Errorf("after a reload #%s = %q, want %q", id, got, want)
		}
	}

	// The server runs the flow for a token's CFcustomerTier; the preview
	// must take the same branch for the same value.
	var flowID int64
	flows, err := s.store.ListFlows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flows {
		if f.Name == "Console flow" {
			flowID = f.ID
		}
	}
	p, err := s.store.GetProfile(context.Background(), s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	p.FlowID, p.StartStep = flowID, 0
	if err := s.store.UpdateProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for run, tier := range []string{"gold", "silver"} {
		server := s.botTexts(t, tier)
		b.setValue(t, "pv-CFcustomerTier", tier)
		click(t, b.Ctx, "#pv-run", "Start preview")
		log := fmt.Sprintf(`#pv-log[data-run="%d"]`, run+1)
		waitText(t, b.Ctx, log+" .pv-end", "The chat ends")
		lines, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll(`+jsString(log+" .pv-bot")+`)).map(function(e){return e.textContent})`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(lines, "|") != strings.Join(server, "|") {
			t.Errorf("tier %s: the preview says %q, the server %q", tier, lines, server)
		}
	}
	b.docScreenshot(t, "console-flow-editor")
}

// botTexts starts a chat on the demo profile as a user whose token says
// CFcustomerTier = tier, and returns the bot's messages.
func (s *stack) botTexts(t *testing.T, tier string) []string {
	t.Helper()
	host := strings.TrimSuffix(s.hostURL, "/")
	var out protocol.StartChatResponse
	s.api.For(t).Do("POST", "/chat/api/v1/start", protocol.StartChatRequest{ConfigID: s.demo.Profile.ID, ConfigKey: s.demo.Profile.Key,
		HostOrigin: host, IDToken: s.token(t, jwt.MapClaims{"sub": "u-" + tier, "email": tier + "@example.com", "CFcustomerTier": tier})}).
		Expect(http.StatusOK, http.StatusCreated).Decode(&out)
	var texts []string
	for _, m := range out.Messages {
		if m.From == protocol.FromBot {
			texts = append(texts, m.Text)
		}
	}
	return texts
}

// TestConsoleAgentIsKeptOutOfAdminPagesAndTheirAPI: the page explains,
// the API refuses (403).
func TestConsoleAgentIsKeptOutOfAdminPagesAndTheirAPI(t *testing.T) {
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.Allow("403") // the refused calls below log their status
	b.signIn(t, s, s.demo.Agent.Email, s.demo.Agent.Password)
	b.openConsole(t, s.serviceURL+"/console/admin/profiles")
	waitText(t, b.Ctx, ".cc-denied h1", "Admins only")
	statuses, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]int](`Promise.all([
	  fetch("/api/ChatProfile").then(function(r){return r.status}),
	  fetch("/api/ChatFlow").then(function(r){return r.status}),
	  fetch("/api/Agent").then(function(r){return r.status}),
	  fetch("/api/ChatProfile/`+s.demo.Profile.ID+`/key", {method: "POST"}).then(function(r){return r.status}),
	  fetch("/api/ChatFlow/`+fmt.Sprint(s.demo.Flow.ID)+`", {method: "PUT", headers: {"Content-Type": "application/json"}, body: "{}"}).then(function(r){return r.status})
	])`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range statuses {
		if st != http.StatusForbidden {
			t.Errorf("admin call %d as an agent: %d, want 403", i, st)
		}
	}
}

// TestConsoleAdminCreatesFieldsTypesAgentsAndAPIClients: the small admin
// pages create through the API; an API client's secret is shown once.
func TestConsoleAdminCreatesFieldsTypesAgentsAndAPIClients(t *testing.T) {
	s, b := adminConsole(t)

	b.openConsole(t, s.serviceURL+"/console/admin/fields")
	waitText(t, b.Ctx, ".cc-table", "CFcustomerTier")
	b.setValue(t, "cf-entity", "ticket")
	b.setValue(t, "cf-name", "CFregion")
	b.setValue(t, "cf-label", "Region")
	click(t, b.Ctx, "#cf-create", "Create field")
	waitText(t, b.Ctx, ".cc-table", "CFregion")

	b.openConsole(t, s.serviceURL+"/console/admin/tickettypes")
	waitText(t, b.Ctx, ".cc-check", "Region (CFregion)")
	b.setValue(t, "tt-name", "Sales lead")
	b.js(t, `Array.from(document.querySelectorAll(".cc-check")).find(function(e){return e.textContent.indexOf("CFregion")>=0}).querySelector("input").click()`)
	click(t, b.Ctx, "#tt-create", "Create ticket type")
	waitText(t, b.Ctx, ".cc-table td", "Sales lead")
	waitText(t, b.Ctx, ".cc-table", "Region")

	b.openConsole(t, s.serviceURL+"/console/admin/agents")
	waitText(t, b.Ctx, ".cc-table", s.demo.Agent.Email)
	b.setValue(t, "ag-name", "Sam Second")
	b.setValue(t, "ag-email", "sam@example.com")
	b.setValue(t, "ag-password", "a long password for sam")
	click(t, b.Ctx, "#ag-create", "Create agent")
	waitText(t, b.Ctx, ".cc-table", "sam@example.com")
	if _, _, err := s.svc.Auth.Login(context.Background(), "sam@example.com", "a long password for sam"); err != nil {
		t.Errorf("the new agent cannot log in: %v", err)
	}

	b.openConsole(t, s.serviceURL+"/console/admin/apiclients")
	b.setValue(t, "ac-name", "CRM backend")
	b.js(t, `document.getElementById("ac-perm-users-write").click()`)
	click(t, b.Ctx, "#ac-create", "Create API client")
	waitText(t, b.Ctx, ".cc-table", "CRM backend")
	waitText(t, b.Ctx, "#ac-secret", "shown this once")
}

// TestConsoleFlowEditorRoundTripsEveryStepKind: a 12-step flow with
// every kind, built in the editor with branch targets picked from the
// existing steps, saved, reloaded and saved again unchanged: the second
// version's document is the first's.
func TestConsoleFlowEditorRoundTripsEveryStepKind(t *testing.T) {
	s, b := adminConsole(t)
	s.runbook(t, "crm-lookup", "CRM lookup")
	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	b.newFlow(t, "Every kind", flow.KindMessage, flow.KindQuestion, flow.KindChoice, flow.KindCondition, flow.KindCreateTicket,
		flow.KindRunbook, flow.KindTransfer, flow.KindEnd, flow.KindMessage, flow.KindQuestion, flow.KindMessage, flow.KindEnd)
	b.addCriterion(t, 4)
	for _, kv := range [][2]string{
		{"st-1-text", "Hi {{user.firstname}}"}, {"st-1-next", "2"},
		{"st-2-text", "Your email?"}, {"st-2-var", "email"}, {"st-2-vtype", "email"}, {"st-2-next", "3"},
		{"st-3-text", "What about?"}, {"st-3-cvar", "topic"}, {"st-3-opt-0-label", "Sales"}, {"st-3-opt-0-next", "4"},
		{"st-3-opt-1-label", "Support"}, {"st-3-opt-1-next", "5"},
		{"st-4-title", "Good customers"}, {"st-4-match", "any"}, {"st-4-crit-0-op", "one_of"}, {"st-4-crit-0-value", "gold, silver"},
		{"st-4-true", "6"}, {"st-4-false", "7"},
		{"st-5-summary", "Support: {{var.email}}"}, {"st-5-next", "8"},
		{"st-6-runbook", "crm-lookup"}, {"st-6-success", "7"}, {"st-6-failure", "8"},
		{"st-7-text", "Finding someone…"}, {"st-7-fallback", "5"},
		{"st-8-text", "Bye."},
		{"st-9-text", "Pricing questions?"}, {"st-9-next", "3"},
		{"st-10-text", "Your phone?"}, {"st-10-var", "phone"}, {"st-10-next", "11"},
		{"st-11-text", "Thanks, {{var.phone}}."}, {"st-11-next", "12"},
		{"st-12-text", "Goodbye."},
	} {
		b.setValue(t, kv[0], kv[1])
	}
	for _, id := range []string{"st-2-required", "st-7-canstart", "st-9-canstart"} {
		b.js(t, `document.getElementById("`+id+`").click()`)
	}
	click(t, b.Ctx, "#fl-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved as version 1")

	b.openConsole(t, s.serviceURL+"/console/admin/flows")
	click(t, b.Ctx, ".cc-flow-link", "Every kind")
	waitText(t, b.Ctx, "#fl-version", "Version 1")
	if got := b.value(t, "st-4-crit-0-value"); got != "gold, silver" {
		t.Errorf("after a reload the one_of values are %q", got)
	}
	click(t, b.Ctx, "#fl-save", "Save")
	waitText(t, b.Ctx, ".cc-ok", "Saved as version 2")

	doc, parsed := s.savedUnchanged(t, "Every kind")
	seen := map[flow.Kind]bool{}
	for _, st := range parsed.Steps {
		seen[st.Kind] = true
	}
	if len(parsed.Steps) != 12 || len(seen) != len(flow.Kinds()) {
		t.Errorf("saved %d steps of %d kinds: %s", len(parsed.Steps), len(seen), doc)
	}
}

// savedUnchanged checks that version 2 of the flow named name (saved
// from the reloaded editor) is version 1 unchanged, and returns version
// 1's document and the flow it holds.
func (s *stack) savedUnchanged(t *testing.T, name string) ([]byte, *flow.Flow) {
	t.Helper()
	ctx := context.Background()
	flows, err := s.store.ListFlows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(flows, func(f store.Flow) bool { return f.Name == name })
	if i < 0 {
		t.Fatalf("the flow %q was not stored", name)
	}
	v1, err1 := s.store.GetFlowVersion(ctx, flows[i].ID, 1)
	v2, err2 := s.store.GetFlowVersion(ctx, flows[i].ID, 2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if string(v1.Document) != string(v2.Document) {
		t.Errorf("saving the reloaded editor changed the flow:\nv1 %s\nv2 %s", v1.Document, v2.Document)
	}
	parsed, err := flow.Parse(v1.Document)
	if err != nil {
		t.Fatal(err)
	}
	return v1.Document, parsed
}
