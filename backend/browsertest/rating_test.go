package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
)

// TestVisitorEndsAndRatesTheChat: "End chat" asks first (× only
// minimises); the ended chat asks for a rating, which the host page hears
// of (chatRated), the service stores, and an agent reads in the
// transcript and its details; "Start a new chat" starts one.
func TestVisitorEndsAndRatesTheChat(t *testing.T) {
	s := startStack(t)
	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", nil)
	chatID := chatIDOf(t, b.waitEvent(t, "chatStarted", 1))
	w := b.widget(t, s.serviceURL)
	waitText(t, w, ".hc-msg", "Welcome")

	click(t, w, "#hc-end", "End chat")
	waitText(t, w, "#hc-confirm", "End this chat?")
	click(t, w, "#hc-end-no", "Keep chatting")
	if _, err := chromedp.Run(w, chromedp.Poll[bool](`!document.getElementById("hc-confirm")`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatal("the confirmation stays after Keep chatting")
	}
	if n := b.count(t, "chatEnded"); n != 0 {
		t.Fatalf("Keep chatting ended the chat (%d chatEnded)", n)
	}
	click(t, w, "#hc-end", "End chat")
	click(t, w, "#hc-end-yes", "End chat")
	if ended := b.waitEvent(t, "chatEnded", 1); ended.Detail["chatId"] != chatID || ended.Detail["reason"] != protocol.EndByVisitor {
		t.Errorf("chatEnded %v, want chat %s ended by the visitor", ended.Detail, chatID)
	}

	waitText(t, w, "#hc-rating-q", "How was this chat?")
	click(t, w, `.hc-star[data-score="4"]`, "")
	if err := chromedp.Do(w, chromedp.SendKeys(chromedp.ID("hc-rating-comment"), "Quick and kind. https://example.com")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(w, chromedp.WaitEnabled(chromedp.ID("hc-rating-send")), chromedp.Click(chromedp.ID("hc-rating-send"))); err != nil {
		t.Fatalf("send the rating: %v", err)
	}
	rated := b.waitEvent(t, "chatRated", 1)
	if d := rated.Detail; d["chatId"] != chatID || d["score"] != float64(4) || d["comment"] != "Quick and kind. https://example.com" {
		t.Errorf("chatRated %v", d)
	}
	waitText(t, w, "#hc-rating-thanks", "Thank you")
	r, err := s.store.ChatRating(context.Background(), chatID)
	if err != nil || r.Score != 4 || r.Comment != "Quick and kind. https://example.com" {
		t.Fatalf("stored rating %+v, %v", r, err)
	}
	// The button that asked is gone when the service answers: the new
	// chat still takes the window.
	click(t, w, ".hc-new", "Start a new chat")
	if next := chatIDOf(t, b.waitEvent(t, "chatStarted", 2)); next == chatID {
		t.Error("Start a new chat resumed the ended chat")
	}
	waitText(t, w, "#hc-end", "End chat")

	agent := New(t, Options{})
	agent.ScreenshotOnFailure(t)
	agent.signIn(t, s, s.demo.Agent.Email, s.demo.Agent.Password)
	agent.openConsole(t, s.serviceURL+"/console/transcripts")
	click(t, agent.Ctx, `.cc-transcript[data-chat="`+chatID+`"]`, "Visitor")
	waitText(t, agent.Ctx, "#cc-detail-rating dd", "4 of 5 · “Quick and kind. https://example.com”")
	waitText(t, agent.Ctx, "#cc-transcript-rating", "The visitor rated the chat 4 of 5")
}

// TestRatingQuestionFollowsTheProfile: a chat the flow ends is asked for
// a rating; on a profile whose ratingQuestion is off it is not.
func TestRatingQuestionFollowsTheProfile(t *testing.T) {
	s := startStack(t)
	ends := func(name string) *flow.Flow {
		return &flow.Flow{Name: name, StartStep: 1, NextStepNumber: 2, Steps: []flow.Step{{Number: 1, Kind: flow.KindEnd, Text: "Goodbye from " + name + "."}}}
	}
	ask := s.profileWithFlow(t, ends("asking"))
	off := s.profileWithFlow(t, ends("silent"))
	off.RatingQuestion = protocol.RatingQuestionOff
	if err := s.store.UpdateProfile(context.Background(), off); err != nil {
		t.Fatal(err)
	}
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)
	b.open(t, s.hostPage(t, "autoInitialize: false,", ""))
	var w context.Context
	for i, p := range []*store.ChatProfile{ask, off} {
		b.dispatch(t, "initialize", map[string]any{"configId": p.ID, "configKey": p.Key})
		b.waitEvent(t, "initialized", i+1)
		b.dispatch(t, "openChatWindow", nil)
		b.waitEvent(t, "chatEnded", i+1)
		if w == nil {
			w = b.widget(t, s.serviceURL)
		}
		waitText(t, w, ".hc-msg", "Goodbye from "+p.Name+".")
		waitText(t, w, ".hc-ended", "This chat has ended.")
		if p == ask {
			waitText(t, w, "#hc-rating-q", "How was this chat?")
			continue
		}
		if asked, err := chromedp.Run(w, chromedp.Evaluate[bool](`!!document.getElementById("hc-rating")`)); err != nil || asked {
			t.Errorf("profile %s with ratingQuestion off asks for a rating (%v)", p.Name, err)
		}
	}
}
