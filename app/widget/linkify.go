package widget

import (
	"net/url"
	"strings"
)

// Segment is a piece of a message's text: plain text, or a link when
// Href is set (Href is then the text itself, a checked URL).
type Segment struct {
	Text string
	Href string
}

// linkSchemes are the only links a message may hold; anything else
// (javascript:, data:, a relative path) stays text.
var linkSchemes = [...]string{"https://", "http://", "mailto:"}

// Linkify cuts text into plain pieces and the http, https and mailto
// URLs written in it. A URL starts at a scheme that follows no letter or
// digit and ends at a space, a control character or one of <>"'`; trailing
// punctuation (.,;:!? and a closing bracket with no opening one inside the
// URL) is left to the text. A candidate that does not parse as a URL of
// its scheme — no host, credentials, a mailto without an address — stays
// text. Joining the segments' texts gives text back.
func Linkify(text string) []Segment {
	var out []Segment
	plain := 0 // start of the text not yet emitted
	for i := 0; i < len(text); {
		n := linkAt(text, i)
		if n == 0 {
			i++
			continue
		}
		if i > plain {
			out = append(out, Segment{Text: text[plain:i]})
		}
		out = append(out, Segment{Text: text[i : i+n], Href: text[i : i+n]})
		i += n
		plain = i
	}
	if plain < len(text) {
		out = append(out, Segment{Text: text[plain:]})
	}
	return out
}

// linkAt is the length of the link starting at text[i], or 0.
func linkAt(text string, i int) int {
	if i > 0 && isWordByte(text[i-1]) {
		return 0
	}
	scheme := ""
	for _, s := range linkSchemes {
		if len(text)-i >= len(s) && strings.EqualFold(text[i:i+len(s)], s) {
			scheme = s
			break
		}
	}
	if scheme == "" {
		return 0
	}
	end := i + len(scheme)
	for end < len(text) && !endsLink(text[end]) {
		end++
	}
	cand := trimTrailing(text[i:end])
	if len(cand) <= len(scheme) || !validLink(cand, strings.ToLower(scheme)) {
		return 0
	}
	return len(cand)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// endsLink: a byte no link holds.
func endsLink(c byte) bool {
	return c <= ' ' || c == 0x7f || strings.IndexByte(`<>"'`+"`", c) >= 0
}

// trimTrailing drops punctuation that ends the sentence rather than the
// URL, and closing brackets the URL did not open.
func trimTrailing(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?*", c) >= 0:
			s = s[:len(s)-1]
		case c == ')' && strings.Count(s, "(") < strings.Count(s, ")"),
			c == ']' && strings.Count(s, "[") < strings.Count(s, "]"),
			c == '}' && strings.Count(s, "{") < strings.Count(s, "}"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}

// validLink checks a candidate as a URL of its scheme.
func validLink(s, scheme string) bool {
	u, err := url.Parse(s)
	if err != nil || u.User != nil {
		return false
	}
	if scheme == "mailto:" {
		at := strings.IndexByte(u.Opaque, '@')
		return u.Opaque != "" && at > 0 && at < len(u.Opaque)-1
	}
	return u.Host != "" && u.Hostname() != "" && !strings.ContainsAny(u.Host, "\\")
}
