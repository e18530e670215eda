package widget

import (
	"testing"

	"halochat/app/protocol"
)

// The host page's e-mail hint is offered for the bot's e-mail question
// only: a prefill the visitor may take, never sent by itself.
func TestHintForEmailQuestionsOnly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hint    string
		pending *protocol.Pending
		want    string
	}{
		{"an e-mail question", " pat@shop.example ", &protocol.Pending{Kind: "answer", Prompt: &protocol.Prompt{Type: "email"}}, "pat@shop.example"},
		{"no hint", "", &protocol.Pending{Kind: "answer", Prompt: &protocol.Prompt{Type: "email"}}, ""},
		{"a text question", "pat@shop.example", &protocol.Pending{Kind: "answer", Prompt: &protocol.Prompt{Type: "text"}}, ""},
		{"a question without checks", "pat@shop.example", &protocol.Pending{Kind: "answer"}, ""},
		{"buttons", "pat@shop.example", &protocol.Pending{Kind: "choice", Choices: []string{"a"}}, ""},
		{"nothing pending", "pat@shop.example", nil, ""},
	} {
		w := &Window{emailHint: tc.hint}
		if got := w.hintFor(tc.pending); got != tc.want {
			t.Errorf("%s: hintFor = %q, want %q", tc.name, got, tc.want)
		}
	}
}
