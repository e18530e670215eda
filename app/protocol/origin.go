package protocol

import (
	"net/url"
	"strings"
)

// NormalizeOrigin returns scheme://host[:port] in lower case, or "" when
// s is not an origin: the form in which origins (a start's hostOrigin, a
// profile's allowed origins, the service's own) are compared.
func NormalizeOrigin(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
