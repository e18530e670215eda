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

// TestTrustedEmailHintNamesTheVisitor: the profile's email session storage
// key, read by the loader from the host page's sessionStorage.
func TestTrustedEmailHintNamesTheVisitor(t *testing.T) {
	s := startStack(t)
	s.updateProfile(t, func(p *store.ChatProfile) {
		p.EmailStorageKey = "shopUserEmail"
		p.TrustEmailStorage = true
	})
	b, _ := s.visitorOn(t, Options{}, `}; sessionStorage.setItem("shopUserEmail", "hint@example.test"); var unused = {`)
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	ctx := context.Background()
	c, err := s.store.GetChat(ctx, chatID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.store.GetUser(ctx, c.UserID)
	if err != nil || u.Email != "hint@example.test" {
		t.Fatalf("the chat's user = %+v (%v), want the hinted email", u, err)
	}
}
