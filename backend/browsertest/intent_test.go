package browsertest

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/testenv/loopback"
)

// served records the paths of the requests that reached the service, and
// holds back the widget's wasm while the gate is shut.
type served struct {
	mu    sync.Mutex
	paths []string
	gate  chan struct{} // nil: open
	// page holds back the widget's page itself while shut (nil: open).
	page chan struct{}
}

func (s *served) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		hold := s.page // the page itself
		if r.URL.Path != "/chat/widget/" {
			hold = nil
			if strings.HasPrefix(r.URL.Path, "/chat/widget/") && strings.HasSuffix(r.URL.Path, ".wasm") {
				hold = s.gate
			}
		}
		s.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// widgetRequests returns the recorded requests for the widget's page, its
// scripts and its wasm.
func (s *served) widgetRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.paths {
		if strings.HasPrefix(p, "/chat/widget") {
			out = append(out, p)
		}
	}
	return out
}

// pageRequests records the URLs the host page's own target requests
// (the loader's fetches, any prefetch it would add).
func pageRequests(t *testing.T, b *Browser) func() []string {
	t.Helper()
	var mu sync.Mutex
	var urls []string
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.Ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), urls...)
	}
}

// strIn evaluates expr, a string, in ctx (a frame).
func strIn(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func frames(t *testing.T, b *Browser) string {
	t.Helper()
	return b.eval(t, `String(document.getElementById("halo-chat").shadowRoot.querySelectorAll("iframe").length)`)
}

// TestNothingLoadsBeforeIntent: on a page with no open conversation the
// loader answers initialization itself (initialized, chatAvailable) and
// no request reaches the widget's page or wasm until the pointer comes
// over the launcher; then the widget boots and raises no second
// initialized.
func TestNothingLoadsBeforeIntent(t *testing.T) {
	rec := &served{}
	s := startStackWith(t, loopback.Options{Wrap: rec.wrap})
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	requested := pageRequests(t, b)
	b.open(t, s.hostPage(t, "", ""))

	ev := b.waitEvent(t, "initialized", 1)
	if ev.Detail["chatAvailable"] != true || ev.Detail["configId"] != s.demo.Profile.ID {
		t.Errorf("initialized %v, want chat available on profile %s", ev.Detail, s.demo.Profile.ID)
	}
	launcherColour(t, b, "rgb(31, 111, 235)")
	// Longer than the idle boot it replaces (requestIdleCallback, at most 5 s).
	time.Sleep(6 * time.Second)
	if got := rec.widgetRequests(); len(got) > 0 {
		t.Errorf("before any intent the service served the widget: %v", got)
	}
	for _, u := range requested() {
		if strings.Contains(u, "/chat/widget") || strings.HasSuffix(u, ".wasm") {
			t.Errorf("before any intent the page requested %s", u)
		}
	}
	if n := frames(t, b); n != "0" {
		t.Errorf("before any intent the loader made %s iframe(s)", n)
	}

	b.hover(t)
	w := b.widget(t, s.serviceURL)
	if got := rec.widgetRequests(); len(got) == 0 {
		t.Error("the pointer over the launcher booted no widget")
	}
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	// The widget page preloads its wasm from the head, and go-app's fetch
	// takes that answer: the frame fetched the wasm once.
	if n := strIn(t, w, `String(performance.getEntriesByType("resource").filter(function (e) { return /\.wasm$/.test(e.name); }).length)`); n != "1" {
		t.Errorf("the widget's frame fetched its wasm %s times, want once (the preload's answer taken)", n)
	}
	if n := b.count(t, "initialized"); n != 1 {
		t.Errorf("the page heard initialized %d times, want once (the loader's; the widget's is the same answer)", n)
	}
}

// TestOpenChatWindowBootsTheWidget: the event alone (no pointer) boots
// the widget and opens the window.
func TestOpenChatWindowBootsTheWidget(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	if n := frames(t, b); n != "0" {
		t.Fatalf("the loader made %s iframe(s) before any intent", n)
	}
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	b.waitEvent(t, "chatWindowOpened", 1)
	if n := b.count(t, "initialized"); n != 1 {
		t.Errorf("initialized %d times, want 1", n)
	}
}

// bridgeTypes records on the host page the types of the widget frame's
// messages to the loader, in order (window.__types).
const bridgeTypes = `window.__types = [];
  addEventListener("message", function (e) { if (e.data && typeof e.data.type === "string") { window.__types.push(e.data.type); } });`

// withoutBootFragment makes the page's frames lose the fragment of the
// URL the loader gives them, as if the loader's hello could not ride in
// it: the widget then waits for the hello, as where the browser does not
// name its parent (no location.ancestorOrigins).
const withoutBootFragment = `(function () {
  var d = Object.getOwnPropertyDescriptor(HTMLIFrameElement.prototype, "src");
  Object.defineProperty(HTMLIFrameElement.prototype, "src", { get: d.get, set: function (v) { d.set.call(this, String(v).split("#")[0]); } });
})();`

// TestAClickBootsAndOpensTheWidgetOnce: a click with no intent before it
// (a script's button.click()) boots the widget and opens its window, the
// loader's hello riding in the frame's URL (taken at the mount, then
// removed from the URL) or, where it cannot, through the hello's round
// trip; either way the page hears initialized, chatWindowOpened and
// chatStarted once each, and the window stays open.
func TestAClickBootsAndOpensTheWidgetOnce(t *testing.T) {
	s := startStack(t)
	for _, tt := range []struct {
		name, after string
		boot        bool // the widget says halochat:boot and waits for the hello
	}{
		{"the hello in the frame's URL", bridgeTypes, false},
		{"the hello through the host page", bridgeTypes + withoutBootFragment, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := New(t, Options{})
			b.ScreenshotOnFailure(t)
			b.open(t, s.hostPage(t, "", tt.after))
			b.waitEvent(t, "initialized", 1)
			if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+".click()")); err != nil {
				t.Fatal(err)
			}
			w := b.widget(t, s.serviceURL)
			b.waitEvent(t, "chatWindowOpened", 1)
			b.waitEvent(t, "chatStarted", 1)
			b.waitEvent(t, "messageReceived", 1)
			if h := strIn(t, w, `location.hash`); h != "" {
				t.Errorf("the widget's URL keeps the fragment %.40q…", h)
			}
			types := b.eval(t, `window.__types.join(" ")`)
			if booted := strings.Contains(types, "halochat:boot"); booted != tt.boot {
				t.Errorf("the widget's messages %q: halochat:boot %v, want %v", types, booted, tt.boot)
			}
			if !strings.HasPrefix(types, "halochat:listening ") ||
				!strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(types, "halochat:listening "), "halochat:boot "), "halochat:ready") {
				t.Errorf("the widget's messages %q: want its page's halochat:listening, then halochat:ready (after halochat:boot where it waits for the hello)", types)
			}
			if open := b.eval(t, `String(`+launcher+`.getAttribute("aria-expanded"))`); open != "true" {
				t.Errorf("the launcher says expanded %s, want the window open", open)
			}
			for name, want := range map[string]int{"initialized": 1, "chatWindowOpened": 1, "chatStarted": 1, "chatWindowClosed": 0, "error": 0} {
				if n := b.count(t, name); n != want {
					t.Errorf("the page heard %s %d times, want %d; seen %v", name, n, want, b.events(t))
				}
			}
		})
	}
}

// TestInitializeIsAnsweredWithoutTheWidget: with autoInitialize false the
// page's initialize is answered by the loader (the launcher shows), a
// malformed one is refused once, and neither boots the widget.
func TestInitializeIsAnsweredWithoutTheWidget(t *testing.T) {
	rec := &served{}
	s := startStackWith(t, loopback.Options{Wrap: rec.wrap})
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.open(t, s.hostPage(t, "autoInitialize: false,", ""))
	hidden, err := launcherHidden(b)
	if err != nil || !hidden {
		t.Fatalf("autoInitialize false: launcher hidden %v (%v), want hidden", hidden, err)
	}
	b.Allow("colour is not a CSS colour")
	b.dispatch(t, "initialize", map[string]any{"colour": "rgb(1, 2, 3)"})
	bad := b.waitEvent(t, "error", 1)
	if bad.Detail["code"] != "invalid_event" || bad.Detail["event"] != "haloChat_inboundEvent_initialize" {
		t.Errorf("a malformed initialize: error %v, want invalid_event", bad.Detail)
	}
	b.dispatch(t, "initialize", map[string]any{"configId": s.demo.Profile.ID, "configKey": s.demo.Profile.Key, "colour": "#00aa00"})
	if ev := b.waitEvent(t, "initialized", 1); ev.Detail["chatAvailable"] != true {
		t.Errorf("initialized %v", ev.Detail)
	}
	launcherColour(t, b, "rgb(0, 170, 0)")
	if got := rec.widgetRequests(); len(got) > 0 {
		t.Errorf("initialize booted the widget: %v", got)
	}
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	w := b.widget(t, s.serviceURL)
	if c := strIn(t, w, `getComputedStyle(document.querySelector(".hc-header")).backgroundColor`); c != "rgb(0, 170, 0)" {
		t.Errorf("header colour %s, want the initialize's", c)
	}
	if n, e := b.count(t, "initialized"), b.count(t, "error"); n != 1 || e != 1 {
		t.Errorf("initialized %d and error %d times, want once each", n, e)
	}
}

// TestTypedTextSurvivesTheHandOver: at the click the static window
// paints from the widget page's HTML (the profile's title and colour, a
// composer that takes keys) while the wasm is held back; what the visitor
// types there, and types on while the wasm takes over, is all in the
// wasm's composer, and is sent once the chat is up.
func TestTypedTextSurvivesTheHandOver(t *testing.T) {
	rec := &served{gate: make(chan struct{})}
	s := startStackWith(t, loopback.Options{Wrap: rec.wrap})
	s.updateProfile(t, func(p *store.ChatProfile) { p.Appearance.Title, p.Appearance.Colour = "Ask Acme", "#aa3300" })
	b, _ := s.visitorOn(t, Options{}, "")
	// A real click (the pointer comes over the launcher, then presses).
	r := rect(t, b, launcher)
	if err := chromedp.Do(b.Ctx, chromedp.MouseClickXY(r["left"]+r["width"]/2, r["top"]+r["height"]/2)); err != nil {
		t.Fatal(err)
	}
	w := b.widgetFrame(t, s.serviceURL)
	waitText(t, w, ".hc-title", "Ask Acme")
	if c := strIn(t, w, `getComputedStyle(document.querySelector(".hc-header")).backgroundColor`); c != "rgb(170, 51, 0)" {
		t.Errorf("static window's header colour %s, want the profile's", c)
	}
	if loader := strIn(t, w, `String(!!document.getElementById("app-wasm-loader"))`); loader != "true" {
		t.Fatal("the wasm ran although it was held back")
	}
	// The loader focused the window; the static page gives the composer
	// the keys.
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === "hc-input"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the static composer does not have the focus: %v", err)
	}
	if err := chromedp.Do(w, chromedp.KeyEvent("Hello from")); err != nil {
		t.Fatal(err)
	}
	if v := strIn(t, w, `document.getElementById("hc-input").value`); v != "Hello from" {
		t.Fatalf("the static composer holds %q", v)
	}

	close(rec.gate)
	// Keys on their way while the wasm replaces the static window.
	if err := chromedp.Do(w, chromedp.KeyEvent(" the static window")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(w, chromedp.WaitNotPresent(chromedp.ID("app-wasm-loader"))); err != nil {
		t.Fatalf("the wasm did not start: %v", err)
	}
	b.waitEvent(t, "chatStarted", 1)
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`document.getElementById("hc-input").value === "Hello from the static window"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("after the hand-over the composer holds %q", strIn(t, w, `document.getElementById("hc-input").value`))
	}
	if f := strIn(t, w, `String(document.activeElement && document.activeElement.id)`); f != "hc-input" {
		t.Errorf("after the hand-over the focus is on %q, want the composer", f)
	}
	if err := chromedp.Do(w, chromedp.WaitEnabled(chromedp.CSS(".hc-send")), chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	waitText(t, w, ".hc-from-visitor", "Hello from the static window")
	if h := strIn(t, w, `document.querySelector(".hc-title").textContent + " " + getComputedStyle(document.querySelector(".hc-header")).backgroundColor`); h != "Ask Acme rgb(170, 51, 0)" {
		t.Errorf("the wasm's window shows %q, want the profile's title and colour", h)
	}
}

// TestReloadWithAnOpenChatBootsAtOnce: the loader's flag boots the widget
// as the page loads, without intent, so the resumed chat raises its
// events: messageReceived for what came while the page was away.
func TestReloadWithAnOpenChatBootsAtOnce(t *testing.T) {
	s := startStack(t)
	b, host := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	first := s.othersSeqs(t, chatID, 0)
	b.waitEvent(t, "messageReceived", len(first))
	flag := b.eval(t, `localStorage.getItem("halochat:open:`+s.demo.Profile.ID+`")`)
	if flag != "1" {
		t.Fatalf("host page flag %q, want 1", flag)
	}

	b.Allow("Page entered Back-Forward Cache")
	b.open(t, "about:blank")
	zero := 0
	if _, err := s.svc.Chats.Send(context.Background(), chatID, protocol.SendRequest{ClientMsgID: "other-tab", Choice: &zero}); err != nil {
		t.Fatal(err)
	}
	since := s.othersSeqs(t, chatID, first[len(first)-1])
	b.open(t, host)
	b.waitEvent(t, "messageReceived", len(since))
	if n := frames(t, b); n != "1" {
		t.Errorf("after the reload %s iframe(s), want the widget booted at once", n)
	}
	if n := b.count(t, "chatStarted"); n != 0 {
		t.Errorf("the resume raised chatStarted %d time(s)", n)
	}
}

// TestPreloadIdleBootsWithoutIntent: preload "idle" (the warm start) boots
// the widget when the browser is idle, with no intent, and the page hears
// initialized once.
func TestPreloadIdleBootsWithoutIntent(t *testing.T) {
	rec := &served{}
	s := startStackWith(t, loopback.Options{Wrap: rec.wrap})
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.open(t, s.hostPage(t, `preload: "idle",`, ""))
	b.waitEvent(t, "initialized", 1)
	// No hover: the iframe comes by itself (widget() would give intent).
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`document.getElementById("halo-chat").shadowRoot.querySelectorAll("iframe").length === 1`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("preload idle: no widget iframe without intent: %v", err)
	}
	b.widget(t, s.serviceURL)
	if got := rec.widgetRequests(); len(got) == 0 {
		t.Error("preload idle: the service served no widget")
	}
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	if n := b.count(t, "initialized"); n != 1 {
		t.Errorf("initialized %d times, want 1", n)
	}
}

// TestStaticWindowSpeaksTheVisitorsLanguage: the static window is
// rendered in the language the wasm will speak (the browser's languages
// for an auto profile), so nothing changes at the hand-over.
func TestStaticWindowSpeaksTheVisitorsLanguage(t *testing.T) {
	rec := &served{gate: make(chan struct{})}
	s := startStackWith(t, loopback.Options{Wrap: rec.wrap})
	b := New(t, Options{Languages: "de-DE,de"})
	b.ScreenshotOnFailure(t)
	b.open(t, s.hostPage(t, "", ""))
	b.waitEvent(t, "initialized", 1)
	b.dispatch(t, "openChatWindow", nil)
	w := b.widgetFrame(t, s.serviceURL)
	const look = `document.getElementById("hc-root").lang + " " + document.getElementById("hc-input").placeholder`
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`!!document.getElementById("hc-input")`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("no static window: %v", err)
	}
	if got := strIn(t, w, look); got != "de Ihre Nachricht" {
		t.Errorf("the static window speaks %q, want German", got)
	}
	close(rec.gate)
	if err := chromedp.Do(w, chromedp.WaitNotPresent(chromedp.ID("app-wasm-loader"))); err != nil {
		t.Fatalf("the wasm did not start: %v", err)
	}
	if got := strIn(t, w, look); got != "de Ihre Nachricht" {
		t.Errorf("the wasm's window speaks %q, want German", got)
	}
}

// TestAClickBeforeTheWasmRunsReachesIt: the pointer boots the widget, and
// the click comes while its page shows the static window and its wasm
// does not run yet. The page said it listens (halochat:listening), so the
// loader sent the click at once; the page kept it, and the wasm took it
// as it started: the window opens once, without the round trip of the
// widget's ready.
func TestAClickBeforeTheWasmRunsReachesIt(t *testing.T) {
	// The wasm is held back until the click is in: on a busy machine the
	// click's round trip through the browser's protocol once took longer
	// than the wasm's start.
	rec := &served{gate: make(chan struct{})}
	s := startStackWith(t, loopback.Options{Wrap: rec.wrap})
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.open(t, s.hostPage(t, "", bridgeTypes))
	b.waitEvent(t, "initialized", 1)
	b.hover(t)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`window.__types.indexOf("halochat:listening") >= 0`,
		chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(5*time.Millisecond))); err != nil {
		t.Fatalf("the widget's page did not say it listens: %v", err)
	}
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+".click()")); err != nil {
		t.Fatal(err)
	}
	close(rec.gate)
	b.waitEvent(t, "chatWindowOpened", 1)
	w := b.widgetFrame(t, s.serviceURL)
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`!document.getElementById("app-wasm-loader")`,
		chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	// The widget marks each message type's first arrival: one its page
	// kept arrives as the wasm mounts, before it takes the config and
	// says it is ready; one the loader held until then, after.
	const early = `(function () { function at(n) { var m = performance.getEntriesByName("halochat:" + n, "mark")[0]; return m ? m.startTime : -1; }
	  var l = at("received halochat:launcher"), r = at("ready"); return l >= 0 && r >= 0 && l <= r ? "" : "launcher " + l + " ms, ready " + r + " ms"; })()`
	if got := strIn(t, w, early); got != "" {
		t.Errorf("the launcher's click reached the wasm after its ready (%s): want it kept by its page and taken at the mount", got)
	}
	// And the open is the mount's: chatWindowOpened leaves with the ready,
	// before the wasm renders the window a second time.
	const atMount = `(function () { function at(n) { var m = performance.getEntriesByName("halochat:" + n, "mark")[0]; return m ? m.startTime : -1; }
	  var o = at("opened"), r = at("render 2"); return o >= 0 && r >= 0 && o <= r ? "" : "opened " + o + " ms, second render " + r + " ms"; })()`
	if got := strIn(t, w, atMount); got != "" {
		t.Errorf("the launcher's click opened the window after the mount (%s): want chatWindowOpened posted as the wasm mounts", got)
	}
	types := b.eval(t, `window.__types.join(" ")`)
	if strings.Count(types, "halochat:ready") == 0 || strings.Index(types, "halochat:listening") > strings.Index(types, "halochat:ready") {
		t.Errorf("the widget's messages %q: want halochat:listening before halochat:ready", types)
	}
	for name, want := range map[string]int{"initialized": 1, "chatWindowOpened": 1, "chatWindowClosed": 0, "error": 0} {
		if n := b.count(t, name); n != want {
			t.Errorf("the page heard %s %d times, want %d; seen %v", name, n, want, b.events(t))
		}
	}
}

// TestIntentPaintsTheWindowUnseenBeforeTheClick: the pointer over the
// launcher boots the widget into a frame that lays out and paints while
// it stays transparent, inert (no focus, no clicks: the host page under it
// takes them) and out of the way; the click then only shows it.
func TestIntentPaintsTheWindowUnseenBeforeTheClick(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	b.hover(t)
	frame := `document.getElementById("halo-chat").shadowRoot.querySelector("iframe")`
	const unseen = `(function () { var f = FRAME; if (!f) { return ""; }
	  var st = getComputedStyle(f), r = f.getBoundingClientRect();
	  var under = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
	  return [f.inert, st.opacity, st.pointerEvents, st.display, st.visibility, under === document.getElementById("halo-chat")].join(" "); })()`
	if got, err := chromedp.Run(b.Ctx, chromedp.Poll[string](strings.ReplaceAll(unseen, "FRAME", frame),
		chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil || got != "true 0 none block visible false" {
		t.Fatalf("the frame booted on intent: inert, opacity, pointer-events, display, visibility, hit = %q (%v), want %q",
			got, err, "true 0 none block visible false")
	}
	w := b.widgetFrame(t, s.serviceURL)
	// The frame renders before the click: its animation frames run (a
	// frame hidden by display or visibility gets none). Chromium reports
	// no first contentful paint under opacity 0: that comes at the click.
	if err := chromedp.Do(w, chromedp.Evaluate[chromedp.Void](`requestAnimationFrame(function () { window.__rendered = true; })`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`window.__rendered === true && !!document.getElementById("hc-input")`,
		chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("the frame booted on intent did not render before the click: %v", err)
	}
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+`.click()`)); err != nil {
		t.Fatal(err)
	}
	shown := `(function () { var f = ` + frame + `, st = getComputedStyle(f);
	  return [f.inert, st.opacity, st.pointerEvents, f.className].join(" "); })()`
	if got, err := chromedp.Run(b.Ctx, chromedp.Poll[string](`(function () { var s = `+shown+`; return s === "false 1 auto " ? s : ""; })()`,
		chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("after the click: inert, opacity, pointer-events, class = %q (%v), want shown", got, err)
	}
	b.waitEvent(t, "chatWindowOpened", 1)
}

// TestReloadThenAClickShowsTheHistory: the visitor comes back to a page
// with their conversation open and clicks the launcher as soon as it is
// drawn, while the widget boots and resumes the chat: the window opens
// with the chat's history and stays open (the launcher's click and the
// resume each decide the window's state; neither undoes the other).
func TestReloadThenAClickShowsTheHistory(t *testing.T) {
	s := startStack(t)
	b, host := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	b.waitEvent(t, "messageReceived", len(s.othersSeqs(t, chatID, 0)))

	b.Allow("Page entered Back-Forward Cache")
	b.open(t, "about:blank")
	b.open(t, host)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`(function(){var b=`+launcher+`; if (!b) return false; b.click(); return true})()`,
		chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(5*time.Millisecond))); err != nil {
		t.Fatalf("the launcher was never drawn: %v", err)
	}
	w := b.widget(t, s.serviceURL)
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`!!document.querySelector("#hc-messages .hc-msg[data-seq]")`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the resumed chat's history never showed after the click: %v", err)
	}
	b.waitEvent(t, "chatWindowOpened", 1)
	if n := b.count(t, "chatWindowClosed"); n != 0 {
		t.Errorf("the window closed %d time(s) after the visitor's click", n)
	}
}

const shell = `document.getElementById("halo-chat").shadowRoot.querySelector("div.s")`

// TestTheShellShowsTheWindowAtTheClick: a click before the widget's page
// is there (here held back) shows the window at once: the loader's
// shell, the page's size, with the profile's title and colour, on screen
// through the frame that has nothing to paint yet. The page, once it
// comes, paints over it, and the shell goes once the widget is ready.
func TestTheShellShowsTheWindowAtTheClick(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    Options
	}{
		{"the frame in a process of its own", Options{}},
		{"the frame in the page's process", Options{FramesInProcess: true}},
	} {
		t.Run(tt.name, func(t *testing.T) { shellAtTheClick(t, tt.o) })
	}
}

func shellAtTheClick(t *testing.T, o Options) {
	rec := &served{page: make(chan struct{})}
	s := startStackWith(t, loopback.Options{Wrap: rec.wrap})
	s.updateProfile(t, func(p *store.ChatProfile) { p.Appearance.Title, p.Appearance.Colour = "Ask Acme", "#aa3300" })
	b, _ := s.visitorOn(t, o, "width: 420, height: 300,")
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+".click()")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`!!`+shell+` && getComputedStyle(`+shell+`).display !== "none"`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("no shell at the click: %v", err)
	}
	if got := b.eval(t, shell+`.textContent + "|" + `+shell+`.getAttribute("aria-hidden")`); got != "Ask Acme|true" {
		t.Errorf("the shell shows %q, want the profile's title, hidden from assistive technology", got)
	}
	if n := len(rec.widgetRequests()); n != 1 {
		t.Fatalf("the widget's page was asked for %d times before the shell showed, want once (held)", n)
	}
	// What the visitor sees: the header's colour where the window's
	// header is, through the frame.
	r := rect(t, b, shell)
	if f := rect(t, b, frame); f["width"] != 420 || f["height"] != 300 || r["width"] != 420 || r["height"] != 300 ||
		f["left"] != r["left"] || f["top"] != r["top"] {
		t.Errorf("the frame at %v and the shell at %v, want both the page's 420×300 in one place", f, r)
	}
	shellHeader := b.eval(t, `String(Math.round(`+shell+`.firstChild.getBoundingClientRect().height))`)
	headerColour(t, b, r["left"]+r["width"]-20, r["top"]+10, [3]uint8{170, 51, 0}, "the shell's header")

	close(rec.page)
	b.waitEvent(t, "chatWindowOpened", 1)
	if !o.FramesInProcess { // (the frame's own target)
		w := b.widget(t, s.serviceURL)
		waitText(t, w, ".hc-title", "Ask Acme")
		// The shell has the window's header: the page covers it without a jump.
		page := strIn(t, w, `String(Math.round(document.querySelector(".hc-header").getBoundingClientRect().height))`)
		if shellHeader != page {
			t.Errorf("the shell's header is %s px high, the widget's %s px", shellHeader, page)
		}
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`getComputedStyle(`+shell+`).display === "none"`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("the shell stays once the widget is ready: %v", err)
	}
	headerColour(t, b, r["left"]+r["width"]-60, r["top"]+10, [3]uint8{170, 51, 0}, "the widget's header")
	// Closed and opened again: the widget is there, no shell.
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+".click()")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+".click()")); err != nil {
		t.Fatal(err)
	}
	if d := b.eval(t, `getComputedStyle(`+shell+`).display`); d != "none" {
		t.Errorf("the shell shows (%s) on a click after the widget is ready", d)
	}
}

// headerColour checks the screen's pixel at (x, y) of the viewport.
func headerColour(t *testing.T, b *Browser, x, y float64, want [3]uint8, what string) {
	t.Helper()
	shot, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	// The screenshot is in device pixels.
	width, err := chromedp.Run(b.Ctx, chromedp.Evaluate[float64](`window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	scale := float64(img.Bounds().Dx()) / width
	c := color.RGBAModel.Convert(img.At(int(x*scale), int(y*scale))).(color.RGBA)
	near := func(a, b uint8) bool { return int(a)-int(b) < 8 && int(b)-int(a) < 8 }
	if !near(c.R, want[0]) || !near(c.G, want[1]) || !near(c.B, want[2]) {
		t.Errorf("%s on screen at (%.0f, %.0f) is rgb(%d, %d, %d), want rgb(%d, %d, %d)", what, x, y, c.R, c.G, c.B, want[0], want[1], want[2])
	}
}
