package console

import (
	"testing"

	"halochat/app/protocol"
)

func TestCannedTokenAndMatches(t *testing.T) {
	all := []protocol.CannedResponse{{Shortcut: "hello"}, {Shortcut: "help"}, {Shortcut: "refund"}}
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"/hel", []string{"hello", "help"}},
		{"Thanks! /REF", []string{"refund"}},
		{"/", []string{"hello", "help", "refund"}},
		{"no slash", nil},
		{"a/b", nil},
		{"/hello there", nil},
	} {
		var got []string
		if token, _, ok := cannedToken(tc.text); ok {
			for _, c := range cannedMatches(all, token) {
				got = append(got, c.Shortcut)
			}
		}
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%q: %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestExpandCanned(t *testing.T) {
	d := &protocol.ChatDetails{User: &protocol.ChatUser{FirstName: "Grace", LastName: "Hopper", Email: "g@example.com"},
		Fields: []protocol.ChatFieldValue{{Name: "CFtier", Label: "Customer Tier", Value: "gold"}}}
	for _, tc := range []struct {
		text string
		d    *protocol.ChatDetails
		want string
	}{
		{"Hi {{user.firstname}}, {{agent.name}} here.", d, "Hi Grace, Ada here."},
		{"Hi {{firstname|there}}!\nYour tier: {{chat.Customer Tier}} ({{chat.CFtier}})", d, "Hi Grace! Your tier: gold (gold)"},
		{"Hi {{user.firstname|there}}! {{chat.CFmissing}}Bye", nil, "Hi there! Bye"},
		{"Hi {{user.firstname}}! {{unknown.thing}}", nil, "Hi! {{unknown.thing}}"},
	} {
		if got := expandCanned(tc.text, "Ada", tc.d); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.text, got, tc.want)
		}
	}
}
