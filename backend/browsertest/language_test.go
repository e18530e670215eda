package browsertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/app/flow"
	"halochat/app/i18n"
	"halochat/backend/demo"
	"halochat/backend/store"
)

// languageFlow asks one question: a chat's language shows in the bot's
// texts (the flow's translations), the widget's and the system messages.
func languageFlow(name string) *flow.Flow {
	return &flow.Flow{Name: name, StartStep: 1, NextStepNumber: 3, Steps: []flow.Step{
		{Number: 1, Kind: flow.KindMessage, Text: "Welcome!", Texts: map[string]string{"ar": "أهلاً بك!"}, Next: 2},
		{Number: 2, Kind: flow.KindQuestion, Text: "What is your e-mail address?", Texts: map[string]string{"ar": "ما هو بريدك الإلكتروني؟"}, Next: 1,
			Question: &flow.Question{Variable: "email", Validation: flow.Validation{Required: true, Type: flow.ValidateEmail}}},
	}}
}

// openProfile initialises the host page with profile p and opens the
// window: the widget's frame once its chat has started.
func openProfile(t *testing.T, s *stack, b *Browser, p *store.ChatProfile) context.Context {
	t.Helper()
	b.open(t, s.hostPage(t, "autoInitialize: false,", ""))
	b.dispatch(t, "initialize", map[string]any{"configId": p.ID, "configKey": p.Key})
	b.waitEvent(t, "initialized", 1)
	b.dispatch(t, "openChatWindow", nil)
	b.waitEvent(t, "chatStarted", 1)
	return b.widget(t, s.serviceURL)
}

// TestArabicWindow: a profile in Arabic draws the window right to left
// (dir=rtl, lang=ar on its document) with the catalogue's Arabic texts —
// the widget's, the launcher's label on the host page, the answer's
// refusal the widget checks — and the chat the service started is Arabic.
func TestArabicWindow(t *testing.T) {
	s := startStack(t)
	p := s.profileWithFlow(t, languageFlow("Arabic"))
	p.Language = string(i18n.Arabic)
	if err := s.store.UpdateProfile(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	b := New(t, Options{Languages: "en-US,en"})
	b.ScreenshotOnFailure(t)
	w := openProfile(t, s, b, p)
	ar := func(k i18n.Key) string { return i18n.T(i18n.Arabic, k) }
	waitText(t, w, "#hc-end", ar(i18n.EndChat))
	waitText(t, w, ".hc-msg", "أهلاً بك!") // the flow's Arabic translation
	waitText(t, w, ".hc-msg", "ما هو بريدك الإلكتروني؟")
	got, err := chromedp.Run(w, chromedp.Evaluate[map[string]string](`(function(){var d=document.documentElement, i=document.getElementById("hc-input");
	  return {lang: d.getAttribute("lang"), dir: d.getAttribute("dir"), direction: getComputedStyle(i).direction,
	          placeholder: i.placeholder, send: document.querySelector(".hc-send").textContent,
	          title: document.querySelector(".hc-title").textContent}})()`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"lang": "ar", "dir": "rtl", "direction": "rtl", "placeholder": ar(i18n.Placeholder),
		"send": ar(i18n.Send), "title": ar(i18n.DefaultTitle)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// Right to left: the visitor's bubbles sit on the left.
	if err := chromedp.Do(w, chromedp.SendKeys(chromedp.ID("hc-input"), "not an address\n")); err != nil {
		t.Fatal(err)
	}
	waitText(t, w, ".hc-input-error", ar(i18n.InvalidEmail))
	if err := chromedp.Do(w, chromedp.Evaluate[chromedp.Void](`document.getElementById("hc-input").value = ""`), chromedp.SendKeys(chromedp.ID("hc-input"), "sam@example.com\n")); err != nil {
		t.Fatal(err)
	}
	waitText(t, w, ".hc-from-visitor", "sam@example.com")
	if left, err := chromedp.Run(w, chromedp.Evaluate[bool](`(function(){var m=document.querySelector(".hc-from-visitor").getBoundingClientRect();
	  return m.left < document.documentElement.clientWidth - m.right})()`)); err != nil || !left {
		t.Errorf("the visitor's message is not on the left of a right-to-left window (%v)", err)
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](launcher+`.getAttribute("aria-label") === `+jsString(ar(i18n.LauncherOpen))+
		` && `+frame+`.title === `+jsString(ar(i18n.FrameTitle)), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		label := b.eval(t, launcher+`.getAttribute("aria-label")`)
		t.Errorf("the launcher's label is %q, want %q, and the frame titled %q", label, ar(i18n.LauncherOpen), ar(i18n.FrameTitle))
	}
	chats, err := s.store.ListChats(context.Background(), store.ChatFilter{ProfileID: p.ID})
	if err != nil || len(chats) != 1 || chats[0].Language != "ar" {
		t.Fatalf("chats %+v (%v), want one in Arabic", chats, err)
	}
	b.docScreenshot(t, "widget-arabic")
}

// TestGermanVisitorSeesTheGermanStep: an admin writes a step's German
// translation in the console's flow editor, and a question's refusal
// text with its German translation; a visitor whose browser
// prefers German, on a profile whose language is auto, reads it, and
// the widget's own texts, in German.
func TestGermanVisitorSeesTheGermanStep(t *testing.T) {
	s, admin := adminSession(t)
	p := s.profileWithFlow(t, languageFlow("Languages"))
	admin.openConsole(t, s.serviceURL+"/console/admin/flows")
	click(t, admin.Ctx, ".cc-flow-link", "Languages")
	waitText(t, admin.Ctx, "#fl-version", "Version 1")
	admin.waitValue(t, "st-1-text-ar", "أهلاً بك!")
	admin.setValue(t, "st-1-text-de", "Willkommen!")
	admin.setValue(t, "st-2-text-de", "Wie lautet Ihre E-Mail-Adresse?")
	admin.setValue(t, "st-2-error", "That is not an e-mail address.")
	admin.setValue(t, "st-2-error-de", "Das ist keine E-Mail-Adresse.")
	click(t, admin.Ctx, "#fl-save", "Save")
	waitText(t, admin.Ctx, ".cc-ok", "Saved as version 2")
	fv, err := s.store.GetFlowVersion(context.Background(), p.FlowID, 2)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := flow.Parse(fv.Document)
	if err != nil {
		t.Fatal(err)
	}
	if st := saved.Step(1); st == nil || st.Texts["de"] != "Willkommen!" || st.Texts["ar"] != "أهلاً بك!" {
		t.Fatalf("saved step 1 %+v, want its German and Arabic texts", st)
	}
	if st := saved.Step(2); st == nil || st.Question == nil || st.Question.ErrorText != "That is not an e-mail address." ||
		st.Question.ErrorTexts["de"] != "Das ist keine E-Mail-Adresse." || len(st.Question.ErrorTexts) != 1 {
		t.Fatalf("saved step 2 %+v, want its refusal text and the German translation", st)
	}

	b := New(t, Options{Languages: "de-DE,de,en"})
	b.ScreenshotOnFailure(t)
	w := openProfile(t, s, b, p)
	waitText(t, w, ".hc-msg", "Willkommen!")
	waitText(t, w, ".hc-msg", "Wie lautet Ihre E-Mail-Adresse?")
	de := func(k i18n.Key) string { return i18n.T(i18n.German, k) }
	waitText(t, w, "#hc-end", de(i18n.EndChat))
	got, err := chromedp.Run(w, chromedp.Evaluate[string](`document.documentElement.lang + " " + document.documentElement.dir + " " + document.getElementById("hc-input").placeholder`))
	if err != nil || got != "de ltr "+de(i18n.Placeholder) {
		t.Errorf("lang, dir and placeholder %q (%v)", got, err)
	}
	chats, err := s.store.ListChats(context.Background(), store.ChatFilter{ProfileID: p.ID})
	if err != nil || len(chats) != 1 || chats[0].Language != "de" {
		t.Fatalf("chats %+v (%v), want one in German", chats, err)
	}
}

// TestGermanVisitorPicksAGermanButton: the admin translates a button of
// the demo flow's menu in the flow editor; a German visitor sees the
// German label, and picking it takes the button's branch.
func TestGermanVisitorPicksAGermanButton(t *testing.T) {
	s, admin := adminSession(t)
	ctx := context.Background()
	admin.openConsole(t, s.serviceURL+"/console/admin/flows")
	click(t, admin.Ctx, ".cc-flow-link", demo.FlowName)
	waitText(t, admin.Ctx, "#fl-version", "Version")
	admin.setValue(t, fmt.Sprintf("st-%d-opt-1-de", demo.StepMenu), "Ein technisches Problem")
	click(t, admin.Ctx, "#fl-save", "Save")
	waitText(t, admin.Ctx, ".cc-ok", "Saved as version")
	p, err := s.store.GetProfile(ctx, s.demo.Profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	fv, err := s.store.GetCurrentFlowVersion(ctx, p.FlowID)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := flow.Parse(fv.Document)
	if err != nil {
		t.Fatal(err)
	}
	if st := saved.Step(demo.StepMenu); st == nil || st.Choice == nil || st.Choice.Options[1].Labels["de"] != "Ein technisches Problem" ||
		len(st.Choice.Options[0].Labels) != 0 {
		t.Fatalf("saved menu %+v, want the second button's German label only", st)
	}

	b := New(t, Options{Languages: "de-DE,de"})
	b.ScreenshotOnFailure(t)
	w := openProfile(t, s, b, p)
	click(t, w, ".hc-choice", "Ein technisches Problem")
	waitText(t, w, ".hc-msg", "Please describe it in a sentence or two.")
}
