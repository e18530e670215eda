package browsertest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"halochat/backend/store"
)

// TestIdentifiedUsersChatFollowsThemToAnotherDevice: a user chats with an
// agent on one device; on a second device (a browser of its own) the host
// page opens the widget with a fresh token for the same user, and the
// widget shows the conversation so far and carries it on — both devices
// see what follows, the agent has one chat. The second page hears no
// chatStarted and no messageReceived for the history it was shown, only
// for what comes after (docs/CONTRACT.md#identified-user).
func TestIdentifiedUsersChatFollowsThemToAnotherDevice(t *testing.T) {
	s := startStack(t)
	agent := s.agentOnline(t)
	jtis := 0
	freshToken := func() string { // single-use: each device needs its own
		jtis++
		return s.token(t, jwt.MapClaims{"sub": "cust-77", "given_name": "Noor", "email": "noor@example.test",
			"jti": fmt.Sprint("device-", jtis)})
	}

	one, _ := s.visitorOn(t, Options{}, "")
	one.dispatch(t, "openChatWindow", map[string]any{"id_token": freshToken()})
	chatID := chatIDOf(t, one.waitEvent(t, "chatStarted", 1))
	w1 := one.widget(t, s.serviceURL)
	click(t, w1, ".hc-choice", "Talk to a person")
	agent.accept(t, chatID)
	typeAgent(t, agent, "Hello Noor, how can I help?")
	waitText(t, w1, ".hc-from-agent", "Hello Noor, how can I help?")

	two, _ := s.visitorOn(t, Options{}, "")
	two.dispatch(t, "openChatWindow", map[string]any{"id_token": freshToken()})
	if opened := two.waitEvent(t, "chatWindowOpened", 1); opened.Detail["chatId"] != nil {
		t.Fatalf("the second device opened with chat %v before any start", opened.Detail["chatId"])
	}
	w2 := two.widget(t, s.serviceURL)
	waitText(t, w2, ".hc-from-visitor", "Talk to a person")
	waitText(t, w2, ".hc-from-agent", "Hello Noor, how can I help?")
	if n := two.count(t, "chatStarted"); n != 0 {
		t.Errorf("the resume on the second device raised chatStarted %d time(s)", n)
	}
	if got := two.announcedSeqs(t, chatID); len(got) != 0 {
		t.Errorf("the history shown on the second device raised messageReceived for seqs %v", got)
	}

	typeAndSend(t, w2, "My parcel is late")
	waitText(t, agent.Ctx, ".cc-from-visitor .cc-msg-text", "My parcel is late")
	waitText(t, w1, ".hc-from-visitor", "My parcel is late")
	typeAgent(t, agent, "It ships today.")
	waitText(t, w2, ".hc-from-agent", "It ships today.")
	waitText(t, w1, ".hc-from-agent", "It ships today.")
	answer := s.othersSeqs(t, chatID, 0)
	last := answer[len(answer)-1:]
	two.waitEvent(t, "messageReceived", 1)
	if got := two.announcedSeqs(t, chatID); !slices.Equal(got, last) {
		t.Errorf("the second device raised messageReceived for seqs %v, want only the answer after the resume: %v", got, last)
	}

	list, err := s.store.ListChats(context.Background(), store.ChatFilter{ProfileID: s.demo.Profile.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != chatID {
		t.Errorf("the profile has %d chat(s), want the one chat %s", len(list), chatID)
	}
	if n := agent.eval(t, `String(document.querySelectorAll(".cc-mychat").length)`); n != "1" {
		t.Errorf("the agent console lists %s chats, want 1", n)
	}
}
