package chats_test

import (
	"strings"
	"testing"

	"halochat/app/i18n"
	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/store"
)

// TestChatLanguage: a chat's language is decided when it starts — the
// profile's language, or for an auto profile the browser's (its list,
// then Accept-Language), then the profile's default — stored on the chat,
// kept on resume, and the system messages the server writes are in it.
func TestChatLanguage(t *testing.T) {
	eachDatabase(t, func(t *testing.T, e *env) {
		auto := e.profile(t, "auto, default Dutch", func(p *store.ChatProfile) { p.Language, p.DefaultLanguage = i18n.Auto, "nl" })
		arabic := e.profile(t, "Arabic", func(p *store.ChatProfile) { p.Language = "ar" })
		tests := []struct {
			name    string
			profile *store.ChatProfile
			langs   []string
			accept  string
			want    i18n.Lang
		}{
			{"the browser's first known language", auto, []string{"zh-CN", "de-AT", "fr"}, "", i18n.German},
			{"Accept-Language when the list names none", auto, nil, "es-MX,es;q=0.9,en;q=0.5", i18n.Spanish},
			{"the list before Accept-Language", auto, []string{"pt-BR"}, "fr", i18n.Portuguese},
			{"none known: the profile's default", auto, []string{"zh", "ja"}, "ko", i18n.Dutch},
			{"nothing at all: the profile's default", auto, nil, "", i18n.Dutch},
			{"tags that do not parse are skipped", auto, []string{"!!", "fr-CA"}, "", i18n.French},
			{"a profile's own language wins", arabic, []string{"de"}, "fr", i18n.Arabic},
			{"the demo profile (auto, English) for a German browser", nil, nil, "de-DE", i18n.German},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req := protocol.StartChatRequest{Languages: tc.langs}
				if tc.profile != nil {
					req.ConfigID, req.ConfigKey = tc.profile.ID, tc.profile.Key
				}
				sr := e.embedded(req)
				sr.AcceptLanguage = tc.accept
				resp, err := e.svc.Start(e.ctx, sr)
				if err != nil {
					t.Fatalf("start: %v", err)
				}
				if resp.Chat.Language != string(tc.want) {
					t.Errorf("the start answers language %q, want %s", resp.Chat.Language, tc.want)
				}
				if c := e.chat(t, resp.ChatID); c.Language != string(tc.want) {
					t.Errorf("chat stored with language %q, want %s", c.Language, tc.want)
				}
			})
		}

		t.Run("a resume keeps the chat's language", func(t *testing.T) {
			first := e.start(t, protocol.StartChatRequest{Languages: []string{"de"}})
			retain := true
			again := e.start(t, protocol.StartChatRequest{Languages: []string{"fr"}, RetainPreviousChat: &retain,
				PreviousChatID: first.ChatID, ResumeSecret: first.ResumeSecret})
			if !again.Resumed || again.Chat.Language != "de" {
				t.Fatalf("resumed %v with language %q, want the chat's de", again.Resumed, again.Chat.Language)
			}
		})

		t.Run("system messages are in the chat's language", func(t *testing.T) {
			e.presence(t, e.agent, store.PresenceOnline)
			sr := e.embedded(protocol.StartChatRequest{StartStepOverride: demo.StepTransfer})
			sr.AcceptLanguage = "de"
			resp, err := e.svc.Start(e.ctx, sr)
			e.presence(t, e.agent, store.PresenceOffline)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Accept(e.ctx, resp.ChatID, e.agent); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.AgentEnd(e.ctx, resp.ChatID, e.agent); err != nil {
				t.Fatal(err)
			}
			msgs := e.messages(t, resp.ChatID)
			for _, want := range []string{i18n.T(i18n.German, i18n.Queued), i18n.F(i18n.German, i18n.AgentJoined, e.agent.Name),
				i18n.T(i18n.German, i18n.EndedByAgent)} {
				if !hasText(msgs, want) {
					t.Errorf("no system message %q in %+v", want, msgs)
				}
			}
		})

		t.Run("a refused answer is told why in the chat's language", func(t *testing.T) {
			// A question without an error text of its own: the catalogue's.
			sr := e.embedded(protocol.StartChatRequest{Languages: []string{"fr"}})
			resp, err := e.svc.Start(e.ctx, sr)
			if err != nil {
				t.Fatal(err)
			}
			e.send(t, resp.ChatID, protocol.SendRequest{ClientMsgID: "m1", Choice: choice(choiceBilling)})
			e.send(t, resp.ChatID, protocol.SendRequest{ClientMsgID: "m2", Text: "dana@example.test"})
			e.send(t, resp.ChatID, protocol.SendRequest{ClientMsgID: "m3", Text: strings.Repeat("x", 2500)})
			if msgs := e.messages(t, resp.ChatID); !hasText(msgs, i18n.T(i18n.French, i18n.InvalidMaxLength)) {
				t.Errorf("no %q in %+v", i18n.T(i18n.French, i18n.InvalidMaxLength), msgs)
			}
		})

		refusals := []struct {
			name  string
			langs []string
		}{
			{"too many languages", make([]string, 33)},
			{"a tag too long", []string{strings.Repeat("a", 65)}},
		}
		for _, tc := range refusals {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.Start(e.ctx, e.embedded(protocol.StartChatRequest{Languages: tc.langs}))
				wantRefusal(t, err, &protocol.APIError{Code: protocol.CodeInvalidRequest, Field: "languages"})
			})
		}
	})
}
