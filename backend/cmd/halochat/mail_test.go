package main

import (
	"strings"
	"testing"
)

// --smtp and --smtp-from: no URL sends no mail; the sender defaults to
// the login when it is an address; every mistake is named, never with
// the password.
func TestMailConfig(t *testing.T) {
	for _, c := range []struct {
		url, from, wantFrom, wantErr string
	}{
		{url: "", from: ""},
		{url: "", from: "a@example.com", wantErr: "--smtp-from without --smtp"},
		{url: "smtp://bot%40example.com:s3cret@mail.example.com", wantFrom: "bot@example.com"},
		{url: "smtp://bot:s3cret@mail.example.com", from: "Support <help@example.com>", wantFrom: "help@example.com"},
		{url: "smtp://bot:s3cret@mail.example.com", wantErr: "--smtp-from: no sender address"},
		{url: "smtp://bot:s3cret@mail.example.com", from: "nobody", wantErr: "--smtp-from"},
		{url: "ftp://bot:s3cret@mail.example.com", from: "a@example.com", wantErr: "--smtp: the SMTP URL's scheme"},
	} {
		cfg, err := mailConfig(c.url, c.from)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("mailConfig(%q, %q): %v, want an error saying %q", c.url, c.from, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("mailConfig(%q, %q): %v", c.url, c.from, err)
		case c.url == "" && cfg != nil:
			t.Errorf("mailConfig without a URL: %+v, want nil", cfg)
		case c.url != "" && (cfg == nil || cfg.From.Address != c.wantFrom):
			t.Errorf("mailConfig(%q, %q): %+v, want from %s", c.url, c.from, cfg, c.wantFrom)
		}
	}
}
