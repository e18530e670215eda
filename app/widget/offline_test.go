package widget

import (
	"encoding/base64"
	"testing"

	"halochat/app/protocol"
)

func jwtWith(payload string) string {
	return "e30." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
}

func TestTokenNameEmailPrefillsTheForm(t *testing.T) {
	tests := []struct {
		name, tok, wantName, wantEmail string
	}{
		{"name and email", jwtWith(`{"name":"Ada L","email":"ada@example.com"}`), "Ada L", "ada@example.com"},
		{"given and family names", jwtWith(`{"given_name":"Ada","family_name":"Lovelace"}`), "Ada Lovelace", ""},
		{"given name only", jwtWith(`{"given_name":"Ada"}`), "Ada", ""},
		{"no token", "", "", ""},
		{"two parts", "a.b", "", ""},
		{"payload not base64", "a.!!!.c", "", ""},
		{"payload not JSON", jwtWith(`nope`), "", ""},
		{"claims of the wrong type", jwtWith(`{"name":5,"email":["x"]}`), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, e := tokenNameEmail(tc.tok)
			if n != tc.wantName || e != tc.wantEmail {
				t.Fatalf("got %q %q, want %q %q", n, e, tc.wantName, tc.wantEmail)
			}
		})
	}
}

func FuzzTokenNameEmail(f *testing.F) {
	f.Add(jwtWith(`{"name":"Ada","email":"ada@example.com"}`))
	f.Add("..")
	f.Fuzz(func(t *testing.T, tok string) {
		tokenNameEmail(tok) // the page's token: never a panic
	})
}

func TestNobodyInOffersTheFormUntilAnAgentTakesTheChat(t *testing.T) {
	nobody := protocol.ChatMessage{From: protocol.FromSystem, Event: protocol.EventNobodyIn, Reason: protocol.NobodyInClosed}
	tests := []struct {
		name   string
		status string
		msgs   []protocol.ChatMessage
		want   bool
	}{
		{"the bot's fallback after nobody_in", protocol.ChatStatusBot, []protocol.ChatMessage{nobody}, true},
		{"ended after nobody_in", protocol.ChatStatusEnded, []protocol.ChatMessage{nobody}, true},
		{"queued again", protocol.ChatStatusQueued, []protocol.ChatMessage{nobody}, false},
		{"live with an agent", protocol.ChatStatusLive, []protocol.ChatMessage{nobody}, false},
		{"no transfer found nobody", protocol.ChatStatusBot, []protocol.ChatMessage{{From: protocol.FromBot, Text: "hi"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Conversation{Messages: tc.msgs}
			c.Chat.Status = tc.status
			if got := nobodyIn(c); got != tc.want {
				t.Fatalf("nobodyIn = %v, want %v", got, tc.want)
			}
		})
	}
	if nobodyIn(nil) {
		t.Fatal("no conversation: nobody_in")
	}
}
