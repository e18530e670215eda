package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/backend/store"
)

func (s *stack) updateProfile(t *testing.T, change func(p *store.ChatProfile)) {
	t.Helper()
	ctx := context.Background()
	p, err := s.store.GetProfile(ctx, s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	change(p)
	if err := s.store.UpdateProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
}

func launcherHidden(b *Browser) (bool, error) {
	return chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`getComputedStyle(`+launcher+`).display === "none"`))
}

// TestLauncherHidesWhileNobodyCanAnswer: a profile whose flow needs an
// agent, with none online, and "hide when unavailable".
func TestLauncherHidesWhileNobodyCanAnswer(t *testing.T) {
	s := startStack(t)
	s.updateProfile(t, func(p *store.ChatProfile) {
		p.Availability.NeedsAgent = true
		p.Availability.HideWhenUnavailable = true
	})
	b, _ := s.visitorOn(t, Options{}, "")
	ev := b.waitEvent(t, "initialized", 1)
	if ev.Detail["chatAvailable"] != false {
		t.Fatalf("initialized %v, want chatAvailable false with no agent online", ev.Detail)
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`getComputedStyle(`+launcher+`).display === "none"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatal("the launcher shows while nobody can answer")
	}
	// The same profile without the option keeps the launcher (a new
	// browser: availability answers are cacheable for 30 s).
	s.updateProfile(t, func(p *store.ChatProfile) { p.Availability.HideWhenUnavailable = false })
	b = New(t, Options{})
	b.open(t, s.hostPage(t, "", ""))
	b.waitEvent(t, "initialized", 1)
	if hidden, err := launcherHidden(b); err != nil || hidden {
		t.Errorf("launcher hidden = %v (%v) without hideWhenUnavailable", hidden, err)
	}
}

// TestEmailHintPrefillsAndNeverSignsIn: the profile's e-mail session
// storage key, read by the loader from the host page's sessionStorage,
// is offered for the bot's e-mail question (the visitor takes it with a
// click), is kept for agents as an unverified e-mail, and signs no one
// in — here the demo portal user's address, on a profile that trusts it.
func TestEmailHintPrefillsAndNeverSignsIn(t *testing.T) {
	s := startStack(t)
	s.updateProfile(t, func(p *store.ChatProfile) {
		p.EmailStorageKey = "shopUserEmail"
		p.TrustEmailStorage = true
	})
	hint := s.demo.PortalUser.Email
	b, _ := s.visitorOn(t, Options{}, `}; sessionStorage.setItem("shopUserEmail", "`+hint+`"); var unused = {`)
	b.dispatch(t, "openChatWindow", nil)
	started := b.waitEvent(t, "chatStarted", 1)
	if started.Detail["authenticated"] != false {
		t.Errorf("chatStarted %v: a hint signed the visitor in", started.Detail)
	}
	chatID := chatIDOf(t, started)
	w := b.widget(t, s.serviceURL)
	click(t, w, ".hc-choice", "A billing question")
	waitText(t, w, ".hc-msg", "Which email address")
	click(t, w, "#hc-hint", hint)
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`document.getElementById("hc-input").value === "`+hint+`"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatal("the hint did not fill the composer")
	}
	click(t, w, ".hc-send", "Send")
	waitText(t, w, ".hc-msg", "Please describe it")

	ctx := context.Background()
	c, err := s.store.GetChat(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	portal, err := s.store.GetUserByEmail(ctx, hint)
	if err != nil {
		t.Fatal(err)
	}
	if c.Authenticated || c.UserID == portal.ID || c.EmailHint != hint {
		t.Errorf("the chat %+v: want it unauthenticated, not the portal user's (%d), with the hint kept", c, portal.ID)
	}
}
