package protocol

import (
	"net/url"
	"strings"
	"testing"
)

// normalizeByParse is NormalizeOrigin without its fast path.
func normalizeByParse(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

var originCases = []struct{ in, want string }{
	{"https://shop.example.com", "https://shop.example.com"},
	{"http://127.0.0.1:18306", "http://127.0.0.1:18306"},
	{"http://localhost:", "http://localhost:"},
	{"HTTPS://Shop.Example.com/", "https://shop.example.com"},
	{" https://shop.example.com ", "https://shop.example.com"},
	{"https://shop.example.com/path?q=1", "https://shop.example.com"},
	{"https://user@shop.example.com", "https://shop.example.com"},
	{"http://[::1]:8080", "http://[::1]:8080"},
	{"http://x:abc", ""},
	{"http://", ""},
	{"shop.example.com", ""},
	{"", ""},
	{"ftp://files.example.com", "ftp://files.example.com"},
}

func TestNormalizeOrigin(t *testing.T) {
	for _, c := range originCases {
		if got := NormalizeOrigin(c.in); got != c.want {
			t.Errorf("NormalizeOrigin(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := normalizeByParse(c.in); got != c.want {
			t.Errorf("the parse of %q = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzNormalizeOrigin: the fast path answers what the parse does.
func FuzzNormalizeOrigin(f *testing.F) {
	for _, c := range originCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := NormalizeOrigin(s), normalizeByParse(s); got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, the parse %q", s, got, want)
		}
	})
}

// BenchmarkNormalizeOrigin: a start's origin, in its normal form already,
// through the fast path and through the parse.
func BenchmarkNormalizeOrigin(b *testing.B) {
	for _, bc := range []struct {
		name string
		f    func(string) string
	}{{"fast", NormalizeOrigin}, {"parse", normalizeByParse}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bc.f("https://shop.example.com")
			}
		})
	}
}
