package protocol

import (
	"net/url"
	"strings"
)

// NormalizeOrigin returns scheme://host[:port] in lower case, or "" when
// s is not an origin: the form in which origins (a start's hostOrigin, a
// profile's allowed origins, the service's own) are compared.
func NormalizeOrigin(s string) string {
	if plainOrigin(s) {
		return s // what the parse below makes of it: every start checks one or two
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// plainOrigin reports whether s is already an origin in its normal form:
// http or https, a host of lower-case letters, digits, dots and hyphens,
// and a port of digits, with nothing before or after them
// (FuzzNormalizeOrigin holds it to url.Parse).
func plainOrigin(s string) bool {
	host, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if host, ok = strings.CutPrefix(s, "http://"); !ok {
			return false
		}
	}
	name, port, _ := strings.Cut(host, ":")
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if c := port[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}
