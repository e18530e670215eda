package widget

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestLinkifyMakesLinksOfHTTPAndMailtoOnly(t *testing.T) {
	link := func(s string) Segment { return Segment{Text: s, Href: s} }
	text := func(s string) Segment { return Segment{Text: s} }
	tests := []struct {
		in   string
		want []Segment
	}{
		{"", nil},
		{"no links here", []Segment{text("no links here")}},
		{"see https://example.com/a?b=1#c", []Segment{text("see "), link("https://example.com/a?b=1#c")}},
		{"http://example.com.", []Segment{link("http://example.com"), text(".")}},
		{"(at https://en.wikipedia.org/wiki/Go_(game)), ok", []Segment{text("(at "), link("https://en.wikipedia.org/wiki/Go_(game)"), text("), ok")}},
		{"HTTPS://EXAMPLE.COM", []Segment{link("HTTPS://EXAMPLE.COM")}},
		{"write to mailto:help@example.com!", []Segment{text("write to "), link("mailto:help@example.com"), text("!")}},
		{"a https://x.io b http://y.io", []Segment{text("a "), link("https://x.io"), text(" b "), link("http://y.io")}},
		{"<https://x.io>", []Segment{text("<"), link("https://x.io"), text(">")}},
		{`"https://x.io"onclick=alert(1)`, []Segment{text(`"`), link("https://x.io"), text(`"onclick=alert(1)`)}},
		{"javascript:alert(1)", []Segment{text("javascript:alert(1)")}},
		{"JavaScript:alert('https://x')", []Segment{text("JavaScript:alert('"), link("https://x"), text("')")}},
		{"data:text/html,<b>hi</b>", []Segment{text("data:text/html,<b>hi</b>")}},
		{"vbscript:msgbox ftp://x.io file:///etc/passwd", []Segment{text("vbscript:msgbox ftp://x.io file:///etc/passwd")}},
		{"xhttps://x.io", []Segment{text("xhttps://x.io")}},
		{"https://", []Segment{text("https://")}},
		{"https:// x", []Segment{text("https:// x")}},
		{"https:///path", []Segment{text("https:///path")}},
		{"https://user:pw@evil.io", []Segment{text("https://user:pw@evil.io")}},
		{"mailto:nobody", []Segment{text("mailto:nobody")}},
		{"mailto:@x", []Segment{text("mailto:@x")}},
		{"https://x.io/%zz", []Segment{text("https://x.io/%zz")}},
		{"line\nhttps://x.io\tnext", []Segment{text("line\n"), link("https://x.io"), text("\tnext")}},
		{"ünï https://bücher.de/ä ok", []Segment{text("ünï "), link("https://bücher.de/ä"), text(" ok")}},
	}
	for _, tt := range tests {
		if got := Linkify(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Linkify(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// FuzzLinkify: the segments give the text back, and every link is an
// http(s) URL with a host or a mailto address, nothing else.
func FuzzLinkify(f *testing.F) {
	for _, s := range []string{"see https://example.com/a?b=1.", "mailto:a@b.c", "javascript:alert(1)", "(http://x.io/(a))",
		"https://a.io\x00b", "HTTP://X", "ftp://x", "mailto:a@", "https://[::1]:8080/x", "https://%41.io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		for _, seg := range Linkify(s) {
			b.WriteString(seg.Text)
			if seg.Text == "" {
				t.Fatalf("Linkify(%q): an empty segment", s)
			}
			if seg.Href == "" {
				continue
			}
			u, err := url.Parse(seg.Href)
			if err != nil || seg.Href != seg.Text {
				t.Fatalf("Linkify(%q): link %q (%v)", s, seg.Href, err)
			}
			switch strings.ToLower(u.Scheme) {
			case "http", "https":
				if u.Host == "" || u.User != nil {
					t.Fatalf("Linkify(%q): link %q without a host or with credentials", s, seg.Href)
				}
			case "mailto":
				if !strings.Contains(u.Opaque, "@") {
					t.Fatalf("Linkify(%q): mailto link %q without an address", s, seg.Href)
				}
			default:
				t.Fatalf("Linkify(%q): link %q of scheme %q", s, seg.Href, u.Scheme)
			}
		}
		if b.String() != s {
			t.Fatalf("Linkify(%q) joined = %q", s, b.String())
		}
	})
}
