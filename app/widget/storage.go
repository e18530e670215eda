package widget

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// savedChat is what survives a reload for one chat profile: the chat, the
// secret that resumes it, and the newest seq whose events the host page
// has heard (nil when saved by a widget that did not record it: then
// everything was). It lives in the iframe's own storage (the service's
// origin), never the host page's.
type savedChat struct {
	ChatID       string `json:"chatId"`
	ResumeSecret string `json:"resumeSecret"`
	FlowID       int64  `json:"flowId,omitempty"`
	Announced    *int64 `json:"announced,omitempty"`
}

// chatStore keeps savedChats in the iframe's localStorage, or in memory
// when persistence is off or the browser denies the iframe its storage
// (third-party storage blocked): the chat then lasts as long as the page.
type chatStore struct {
	persist bool
	memory  map[string]savedChat
}

func newChatStore(persist bool) *chatStore {
	return &chatStore{persist: persist, memory: map[string]savedChat{}}
}

func storageKey(configID string) string { return "halochat/chat/" + configID }

func (s *chatStore) get(ctx app.Context, configID string) (savedChat, bool) {
	if c, ok := s.memory[configID]; ok {
		return c, true
	}
	if !s.persist {
		return savedChat{}, false
	}
	var c savedChat
	if err := ctx.LocalStorage().Get(storageKey(configID), &c); err != nil || c.ChatID == "" {
		return savedChat{}, false
	}
	return c, true
}

func (s *chatStore) put(ctx app.Context, configID string, c savedChat) {
	s.memory[configID] = c
	if s.persist {
		if err := ctx.LocalStorage().Set(storageKey(configID), c); err != nil {
			app.Log("halochat: the browser denies this frame its storage; the chat will last as long as the page")
			s.persist = false
		}
	}
}

func (s *chatStore) forget(ctx app.Context, configID string) {
	delete(s.memory, configID)
	if s.persist {
		ctx.LocalStorage().Del(storageKey(configID))
	}
}
