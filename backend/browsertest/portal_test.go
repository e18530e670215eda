package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/backend/store"
)

// The chat widget inside the portal page is same-origin with it: no
// target of its own, its document is reached through the loader's shadow
// root (null, not an exception, before the loader has drawn it: a poll
// whose expression throws fails at once).
const portalFrame = `(function(){var h=document.getElementById("halo-chat"); return h&&h.shadowRoot&&h.shadowRoot.querySelector("iframe")})()`

// openPortal opens /portal (the URL people type) and waits until the
// console wasm that serves it runs.
func (b *Browser) openPortal(t *testing.T, s *stack) {
	t.Helper()
	err := chromedp.Do(b.Ctx, chromedp.Navigate(s.serviceURL+"/portal"), chromedp.WaitNotPresent(chromedp.ID("app-wasm-loader")),
		chromedp.WaitVisible(chromedp.ID("pt-main")))
	if err != nil {
		t.Fatalf("open the portal: %v", err)
	}
	loc, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil || loc != "/console/portal" {
		t.Fatalf("/portal led to %q (%v), want /console/portal", loc, err)
	}
}

// afterReload waits until the page, which reloads itself, runs its wasm
// again and shows the element selector holding want.
func (b *Browser) afterReload(t *testing.T, selector, want string) {
	t.Helper()
	js := fmt.Sprintf(`!document.getElementById("app-wasm-loader") && Array.from(document.querySelectorAll(%q)).some(function(e){return e.textContent.indexOf(%q)>=0})`, selector, want)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		// Evaluations fail while the page navigates: try again.
		if ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.body.innerText`))
	t.Fatalf("after the reload the page never showed %q in %s; it shows:\n%s", want, selector, got)
}

// portalWidgetShows waits until the widget inside the portal page shows
// want in one of its messages.
func (b *Browser) portalWidgetShows(t *testing.T, want string) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var f=%s; if(!f||!f.contentDocument) return false;
		return Array.from(f.contentDocument.querySelectorAll(".hc-msg .hc-text")).some(function(e){return e.textContent.indexOf(%q)>=0})})()`, portalFrame, want)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(function(){var f=`+portalFrame+`; return f&&f.contentDocument ? f.contentDocument.body.innerText : "no widget frame"})()`))
		t.Fatalf("the portal's chat widget never showed %q: %v\nit shows:\n%s", want, err, got)
	}
}

// chatOf waits for the one chat of profile started after since.
func (s *stack) chatOf(t *testing.T, profile string, since time.Time) *store.Chat {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		cs, err := s.store.ListChats(context.Background(), store.ChatFilter{ProfileID: profile})
		if err != nil {
			t.Fatal(err)
		}
		for i := range cs {
			if !cs[i].StartedAt.Before(since) {
				return &cs[i]
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no chat of profile %s started", profile)
	return nil
}

// An admin creates a portal user on the admin page; the user logs in at
// /portal, sees their ticket, and the chat they open there is a portal
// chat: theirs, at the flow's start step, without chat custom fields.
func TestPortalUserLogsInSeesTicketsAndChatsAsThemselves(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()

	admin := New(t, Options{})
	admin.ScreenshotOnFailure(t)
	admin.signIn(t, s, s.demo.Admin.Email, s.demo.Admin.Password)
	admin.openConsole(t, s.serviceURL+"/console/admin/users")
	click(t, admin.Ctx, ".cc-nav a", "Portal users")
	for id, v := range map[string]string{"us-email": "Robin@Portal.test", "us-firstName": "Robin", "us-lastName": "Reyes",
		"us-password": "robin's portal password"} {
		admin.setValue(t, id, v)
	}
	click(t, admin.Ctx, "#us-create", "Create portal user")
	waitText(t, admin.Ctx, ".cc-table td", "robin@portal.test")
	waitText(t, admin.Ctx, ".cc-ok", "they log in at /portal")
	u, err := s.store.GetUserByEmail(ctx, "robin@portal.test")
	if err != nil || u.PasswordHash == "" || strings.Contains(u.PasswordHash, "robin's") {
		t.Fatalf("the admin page's user: %+v %v", u, err)
	}
	tk := &store.Ticket{Summary: "My printer is on fire", UserID: u.ID}
	if err := s.store.CreateTicket(ctx, tk, nil); err != nil {
		t.Fatal(err)
	}
	other := &store.User{Email: "someone@else.test"}
	if err := s.store.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.store.CreateTicket(ctx, &store.Ticket{Summary: "Someone else's secret", UserID: other.ID}, nil); err != nil {
		t.Fatal(err)
	}

	// A colour other than the widget's default, to see it arrive.
	s.updateProfile(t, func(p *store.ChatProfile) { p.Appearance.Colour = "#8a2be2" })

	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.openPortal(t, s)
	if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID("pt-email"))); err != nil {
		t.Fatalf("the login form: %v", err)
	}
	b.setValue(t, "pt-email", "robin@portal.test")
	b.setValue(t, "pt-password", "robin's portal password")
	click(t, b.Ctx, "#pt-login", "Log in")
	b.afterReload(t, "#pt-who", "Robin Reyes")
	waitText(t, b.Ctx, "#pt-tickets .pt-summary", "My printer is on fire")
	if body, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.body.innerText`)); strings.Contains(body, "Someone else's") {
		t.Errorf("the portal shows another user's ticket:\n%s", body)
	}
	// The cookie is the portal's: HttpOnly, not readable by the page.
	if c, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`document.cookie`)); strings.Contains(c, "halochat") {
		t.Errorf("the page reads a session cookie: %q", c)
	}

	since := time.Now().Add(-time.Second)
	click(t, b.Ctx, "#pt-open-chat", "Open chat")
	b.portalWidgetShows(t, "Hi Robin! Welcome to the halochat demo.")
	b.docScreenshot(t, "portal")
	// The profile's colour reaches the widget (through the CSSOM: the
	// widget page's CSP refuses style attributes).
	if bg, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`getComputedStyle(`+portalFrame+`.contentDocument.querySelector(".hc-header")).backgroundColor`)); err != nil || bg != "rgb(138, 43, 226)" {
		t.Errorf("the widget's header colour: %q %v, want the profile's #8a2be2", bg, err)
	}
	c := s.chatOf(t, s.demo.Profile.ID, since)
	fields, err := s.store.ChatFieldValues(ctx, c.ID)
	if c.Context != store.ContextPortal || c.UserID != u.ID || !c.Authenticated || c.StartStep != int64(s.demo.Flow.StartStep) || err != nil || len(fields) != 0 {
		t.Errorf("the portal's chat: context %q user %d authenticated %v start step %d fields %v %v; want portal, user %d, step %d, no fields",
			c.Context, c.UserID, c.Authenticated, c.StartStep, fields, err, u.ID, s.demo.Flow.StartStep)
	}

	// Log out: the login form again, and no session.
	click(t, b.Ctx, "#pt-logout", "Log out")
	b.afterReload(t, "#pt-login", "Log in")
	me, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`fetch("/portal/api/me").then(function(r){return r.text()})`, chromedp.EvalAwaitPromise))
	if err != nil || strings.TrimSpace(me) != `{"user":null}` {
		t.Errorf("/portal/api/me after logout: %s %v", me, err)
	}
}

// Logged out: a portal-only profile is refused (as the widget's start
// would be), and the portal_and_external demo profile chats anonymously
// as an embedded chat.
func TestPortalLoggedOut(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	dp, err := s.store.GetProfile(ctx, s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	po := &store.ChatProfile{Name: "members only", Access: store.AccessPortal, FlowID: dp.FlowID, TicketTypeID: dp.TicketTypeID}
	if err := s.store.CreateProfile(ctx, po); err != nil {
		t.Fatal(err)
	}

	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.Allow("the server responded with a status of 403 (Forbidden)") // the refused start provoked below
	b.openPortal(t, s)
	if err := chromedp.Do(b.Ctx, chromedp.WaitVisible(chromedp.ID("pt-email"))); err != nil {
		t.Fatalf("the login form: %v", err)
	}
	waitText(t, b.Ctx, "#pt-chat h2", "Chat without logging in")
	// The portal lists only what a visitor may use: never the portal-only profile.
	profiles, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`fetch("/portal/api/profiles").then(function(r){return r.text()})`, chromedp.EvalAwaitPromise))
	if err != nil || strings.Contains(profiles, po.ID) || !strings.Contains(profiles, dp.ID) {
		t.Errorf("logged-out profiles: %s %v", profiles, err)
	}
	// The widget's start for the portal-only profile, from this page with
	// its cookies: refused, saying to log in.
	req, _ := json.Marshal(map[string]any{"configId": po.ID, "configKey": po.Key, "hostOrigin": s.serviceURL, "portal": true})
	answer, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`fetch("/chat/api/v1/start", {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/json"}, body: `+jsString(string(req))+`}).then(function(r){return r.text().then(function(t){return r.status+" "+t})})`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(answer, "403 ") || !strings.Contains(answer, "access_denied") || !strings.Contains(answer, "log in to the portal") {
		t.Errorf("portal-only start logged out: %s %v", answer, err)
	}

	since := time.Now().Add(-time.Second)
	click(t, b.Ctx, "#pt-open-chat", "Open chat")
	b.portalWidgetShows(t, "Welcome to the halochat demo.")
	c := s.chatOf(t, dp.ID, since)
	if c.Context != store.ContextEmbedded || c.UserID != 0 || c.Authenticated || c.HostOrigin != s.serviceURL {
		t.Errorf("the logged-out portal chat: context %q user %d authenticated %v host %q; want an anonymous embedded chat from %s",
			c.Context, c.UserID, c.Authenticated, c.HostOrigin, s.serviceURL)
	}
	if cs, _ := s.store.ListChats(ctx, store.ChatFilter{ProfileID: po.ID}); len(cs) != 0 {
		t.Errorf("the portal-only profile has %d chats", len(cs))
	}
}
