package mail

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		raw     string
		want    Server
		wantErr string
	}{
		{raw: "smtp://mail.example.com", want: Server{Host: "mail.example.com", Port: "587"}},
		{raw: "smtp://u%40x.com:p%3Ass@mail.example.com:2525", want: Server{Host: "mail.example.com", Port: "2525", User: "u@x.com", Password: "p:ss"}},
		{raw: "smtps://u:secret@mail.example.com", want: Server{Host: "mail.example.com", Port: "465", User: "u", Password: "secret", ImplicitTLS: true, RequireTLS: true}},
		{raw: "smtp://[::1]:25?starttls=required", want: Server{Host: "::1", Port: "25", RequireTLS: true}},
		{raw: "http://mail.example.com", wantErr: "scheme"},
		{raw: "smtp://u:secret@", wantErr: "no host"},
		{raw: "smtp:mail.example.com", wantErr: "no host"},
		{raw: "smtp://mail.example.com/x", wantErr: "path"},
		{raw: "smtp://mail.example.com?from=a@b.c", wantErr: `unknown parameter "from"`},
		{raw: "smtp://mail.example.com?starttls=maybe", wantErr: "starttls"},
		{raw: "smtp://u:se cret@host:x%zz", wantErr: "not a URL"},
	} {
		got, err := ParseURL(c.raw)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("ParseURL(%q) = %+v, %v; want an error saying %q", c.raw, got, err, c.wantErr)
		case c.wantErr == "" && (err != nil || got != c.want):
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", c.raw, got, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseURL(%q)'s error shows the password: %v", c.raw, err)
		}
		if err == nil && strings.Contains(got.String(), "secret") {
			t.Errorf("%q's String shows the password: %s", c.raw, got)
		}
	}
}

// FuzzParseURL: no URL panics the parser, and its errors and the
// server's String never show the password.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"smtp://u:pw@host:25", "smtps://host", "smtp://[::1]:25?starttls=required", "smtp:x", "%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		const pw = "Pw9Zq"
		withPW := strings.Replace(raw, "pw", pw, 1)
		s, err := ParseURL(withPW)
		if !strings.Contains(withPW, pw) {
			return
		}
		if err != nil && strings.Contains(err.Error(), pw) && !strings.Contains(strings.ReplaceAll(withPW, pw, ""), "Pw9") {
			t.Errorf("the error shows the password: %v", err)
		}
		if err == nil && s.Password == pw && strings.Contains(s.String(), pw) {
			t.Errorf("String shows the password: %s", s)
		}
	})
}

func TestParseFrom(t *testing.T) {
	if a, err := ParseFrom("Support <help@example.com>"); err != nil || a.Address != "help@example.com" || a.Name != "Support" {
		t.Errorf("ParseFrom: %v, %v", a, err)
	}
	for _, bad := range []string{"", "  ", "not an address", "a@b.c, d@e.f"} {
		if _, err := ParseFrom(bad); err == nil {
			t.Errorf("ParseFrom(%q) accepted", bad)
		}
	}
}
