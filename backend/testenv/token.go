package testenv

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// IDToken signs claims with HS256 and secret — an identity token as a host
// site makes one — with header's entries (a "kid", usually) in its JOSE
// header. exp is an hour ahead unless claims has one.
func IDToken(t testing.TB, secret string, header, claims map[string]any) string {
	t.Helper()
	c := jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		t.Fatalf("sign an identity token: %v", err)
	}
	return s
}
