package filelink

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A link works for its file until it expires; any change to its chat,
// file, expiry or signature, or another key, makes it a bad link, and a
// forged link past its expiry is still a bad link, not an expired one.
func TestCheck(t *testing.T) {
	key, other := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	now := time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)
	exp := now.Add(Validity)
	link := Path(key, "chat1", "file1", exp)
	u, err := url.Parse(link)
	if err != nil || u.Path != "/chat/api/v1/files/chat1/file1" {
		t.Fatalf("link %q: %v", link, err)
	}
	e, sig := u.Query().Get("expires"), u.Query().Get("sig")
	flip := func(s string) string { // another character at the end
		if strings.HasSuffix(s, "A") {
			return s[:len(s)-1] + "B"
		}
		return s[:len(s)-1] + "A"
	}
	tests := []struct {
		name               string
		key                []byte
		chat, file, e, sig string
		at                 time.Time
		want               error
	}{
		{"the link as made", key, "chat1", "file1", e, sig, now, nil},
		{"a second before it expires", key, "chat1", "file1", e, sig, exp.Add(-time.Second), nil},
		{"when it expires", key, "chat1", "file1", e, sig, exp, ErrExpired},
		{"another file", key, "chat1", "file2", e, sig, now, ErrBadLink},
		{"another chat", key, "chat2", "file1", e, sig, now, ErrBadLink},
		{"a later expiry", key, "chat1", "file1", e + "0", sig, now, ErrBadLink},
		{"a changed signature", key, "chat1", "file1", e, flip(sig), now, ErrBadLink},
		{"a cut signature", key, "chat1", "file1", e, sig[:20], now, ErrBadLink},
		{"no signature", key, "chat1", "file1", e, "", now, ErrBadLink},
		{"not base64", key, "chat1", "file1", e, "!!", now, ErrBadLink},
		{"another key", other, "chat1", "file1", e, sig, now, ErrBadLink},
		{"forged and expired", key, "chat1", "file1", e, flip(sig), exp.Add(time.Hour), ErrBadLink},
		{"parts run together", key, "chat1f", "ile1", e, sig, now, ErrBadLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.key, tt.chat, tt.file, tt.e, tt.sig, tt.at); !errors.Is(err, tt.want) && err != tt.want {
				t.Errorf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}
