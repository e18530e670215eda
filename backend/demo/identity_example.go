package demo

import (
	"fmt"
	"maps"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"halochat/backend/store"
)

// ExampleClaims are the claims of the demo's example identity token: user
// fields through the demo profile's mappings, and the two chat custom
// fields, one by database name and one by label.
func ExampleClaims(now time.Time) map[string]any {
	return map[string]any{
		"sub":            "demo-user-1",
		"given_name":     "Dana",
		"family_name":    "Demo",
		"email":          "dana@demo.halochat.test",
		"CFcustomerTier": "gold",
		"Account Number": "ACC-1001",
		"iat":            now.Unix(),
		"exp":            now.Add(24 * time.Hour).Unix(),
	}
}

// SignIdentityToken signs claims as a host backend would: HS256, with the
// profile's secret, naming its key by kid.
func SignIdentityToken(secret, kid string, claims map[string]any) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims))
	tok.Header["kid"] = kid
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		return "", fmt.Errorf("sign the demo identity token: %w", err)
	}
	return s, nil
}

func addIdentityExample(info *IdentityInfo, p *store.ChatProfile, now time.Time) error {
	info.TokenMappings = maps.Clone(map[string]string(p.TokenMappings))
	info.ExampleClaims = ExampleClaims(now)
	tok, err := SignIdentityToken(info.HS256Secret, info.KID, info.ExampleClaims)
	if err != nil {
		return err
	}
	info.ExampleToken = tok
	return nil
}
