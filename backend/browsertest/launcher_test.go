package browsertest

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"halochat/app/flow"
	"halochat/backend/store"
)

// badge is the launcher's unread-count badge, "" while hidden.
const badge = `(function(){var e=` + launcher + `.querySelector(".b"); return e && getComputedStyle(e).display !== "none" ? e.textContent : ""})()`

// rect is the JSON of an element's bounding box in the host page.
func rect(t *testing.T, b *Browser, el string) map[string]float64 {
	t.Helper()
	r, err := chromedp.Run(b.Ctx, chromedp.Evaluate[map[string]float64](
		`(function(){var r=`+el+`.getBoundingClientRect(); return {left:r.left, top:r.top, width:r.width, height:r.height}})()`))
	if err != nil {
		t.Fatalf("the box of %s: %v", el, err)
	}
	return r
}

const frame = `document.getElementById("halo-chat").shadowRoot.querySelector("iframe")`

// TestLauncherIsDrawnAndCountsUnreadMessages: the launcher is an inline
// SVG (no emoji, which a machine without a colour emoji font shows as an
// empty box); messages that arrive while the window is closed show as a
// badge on it until the window opens; an anonymous visitor is greeted
// through the demo's {{firstname|there}}.
func TestLauncherIsDrawnAndCountsUnreadMessages(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	drawn, err := chromedp.Run(b.Ctx, chromedp.Evaluate[map[string]any](`(function(){var b=`+launcher+`;
	  return {svg: b.querySelectorAll("svg path").length, img: b.querySelectorAll("img").length,
	          emoji: /\p{Extended_Pictographic}/u.test(b.textContent), label: b.getAttribute("aria-label")}})()`))
	if err != nil {
		t.Fatal(err)
	}
	if drawn["svg"] != float64(1) || drawn["img"] != float64(0) || drawn["emoji"] != false || drawn["label"] != "Open chat" {
		t.Errorf("launcher %v, want one drawn SVG path, no image, no emoji, labelled", drawn)
	}
	if got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](badge)); got != "" {
		t.Errorf("badge %q before any message", got)
	}

	// The chat starts while the window is closed again: its first
	// messages are unread.
	b.dispatch(t, "openChatWindow", nil)
	b.dispatch(t, "closeChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	unread := b.waitEvent(t, "unreadCount", 1).Detail["count"].(float64)
	if unread < 1 {
		t.Fatalf("unreadCount %v after the start's messages", unread)
	}
	want := strconv.Itoa(int(unread))
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](badge+` === `+jsString(want), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		got, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](badge))
		t.Fatalf("badge %q, want %q", got, want)
	}
	if label := b.eval(t, launcher+`.getAttribute("aria-label")`); label != "Open chat, "+want+" unread" {
		t.Errorf("launcher label %q with %s unread", label, want)
	}
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Hi there! Welcome to the halochat demo.")

	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+`.click()`)); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(t, "chatWindowOpened", 2)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](badge+` === ""`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Error("the badge stays while the window is open")
	}
}

// TestLauncherTakesTheProfilesPosition: a profile's bottom-left launcher
// and window are drawn bottom left.
func TestLauncherTakesTheProfilesPosition(t *testing.T) {
	s := startStack(t)
	s.updateProfile(t, func(p *store.ChatProfile) { p.Appearance.LauncherPosition = "bottom-left" })
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	if err := chromedp.Do(b.Ctx, chromedp.EmulateViewport(1200, 800)); err != nil {
		t.Fatal(err)
	}
	b.open(t, s.hostPage(t, "", ""))
	b.waitEvent(t, "initialized", 1)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](launcher+`.getBoundingClientRect().left === 20`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("launcher at %v, want 20 px from the left", rect(t, b, launcher))
	}
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	if r := rect(t, b, frame); r["left"] != 20 {
		t.Errorf("window at %v, want 20 px from the left", r)
	}
}

// TestNarrowWindowFillsTheScreen: under 480 px wide the open window
// fills the visual viewport, its composer on screen.
func TestNarrowWindowFillsTheScreen(t *testing.T) {
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	if err := chromedp.Do(b.Ctx, chromedp.EmulateViewport(400, 700, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	b.open(t, s.hostPage(t, "", ""))
	b.waitEvent(t, "initialized", 1)
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	if r := rect(t, b, frame); r["left"] != 0 || r["top"] != 0 || r["width"] != 400 || r["height"] != 700 {
		t.Errorf("window at %v, want the whole 400×700 screen", r)
	}
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Welcome")
	// A smaller visual viewport (an on-screen keyboard; here a zoom, which
	// headless chromium can show) shrinks the window with it.
	if _, err := chromedp.Call(b.Ctx, emulation.SetPageScaleFactor, emulation.SetPageScaleFactorParams{PageScaleFactor: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`(function(){var r=`+frame+`.getBoundingClientRect();
	  return Math.abs(r.height - visualViewport.height) < 1 && visualViewport.height < 700})()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		vh, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[float64](`visualViewport.height`))
		t.Errorf("window at %v while the visual viewport is %v px high", rect(t, b, frame), vh)
	}
	bottom, err := chromedp.Run(w, chromedp.Evaluate[float64](`document.getElementById("hc-input").getBoundingClientRect().bottom`))
	if err != nil || bottom <= 0 || bottom > 700 {
		t.Errorf("the composer's bottom at %v (%v), want on the 700 px screen", bottom, err)
	}
}

// TestLinksInMessagesAreClickable: http(s) and mailto URLs in a message
// are links to a new tab that tell the target nothing; a javascript: URL
// stays text.
func TestLinksInMessagesAreClickable(t *testing.T) {
	s := startStack(t)
	p := s.profileWithFlow(t, &flow.Flow{Name: "links", StartStep: 1, NextStepNumber: 3, Steps: []flow.Step{
		{Number: 1, Kind: flow.KindMessage, Next: 2,
			Text: "Read https://example.com/help?a=1, mail mailto:help@example.com. Not javascript:alert(document.domain) though."},
		{Number: 2, Kind: flow.KindEnd, Text: "Bye."}}})
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.open(t, s.hostPage(t, "autoInitialize: false,", ""))
	b.dispatch(t, "initialize", map[string]any{"configId": p.ID, "configKey": p.Key})
	b.waitEvent(t, "initialized", 1)
	b.dispatch(t, "openChatWindow", nil)
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "javascript:alert(document.domain) though.")
	links, err := chromedp.Run(w, chromedp.Evaluate[[]map[string]string](`Array.from(document.querySelectorAll(".hc-msg a")).map(function(a){
	  return {href: a.getAttribute("href"), text: a.textContent, target: a.target, rel: a.rel}})`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://example.com/help?a=1", "mailto:help@example.com"}
	if len(links) != len(want) {
		t.Fatalf("links %v, want %v", links, want)
	}
	for i, l := range links {
		if l["href"] != want[i] || l["text"] != want[i] || l["target"] != "_blank" || l["rel"] != "noopener noreferrer nofollow" {
			t.Errorf("link %d: %v, want %s to a new tab with rel noopener noreferrer nofollow", i, l, want[i])
		}
	}
}
