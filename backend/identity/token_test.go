package identity_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// keys are the signing keys the tests use, made once per test binary run
// by newKeys (RSA key generation takes a moment).
type keys struct {
	hs, hs2, other string // HS256 secrets (other belongs to "another profile")
	rsa            *rsa.PrivateKey
	rsaPEM         string
	ec             *ecdsa.PrivateKey
	ecPEM          string
}

func pemOf(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// genKeys makes an RSA key of rsaBits and an ECDSA key on curve.
func genKeys(t testing.TB, rsaBits int, curve elliptic.Curve) (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return rk, ek
}

func newKeys(t testing.TB) *keys {
	t.Helper()
	rk, ek := genKeys(t, 2048, elliptic.P256())
	return &keys{
		hs:    "0123456789abcdef0123456789abcdef-one",
		hs2:   "0123456789abcdef0123456789abcdef-two",
		other: "0123456789abcdef0123456789abcdef-other",
		rsa:   rk, rsaPEM: pemOf(t, &rk.PublicKey),
		ec: ek, ecPEM: pemOf(t, &ek.PublicKey),
	}
}

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// sign signs claims with method and key, setting kid when not "".
func sign(t testing.TB, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signWith signs claims with method and key under a header that has
// header's entries beside alg and typ (a nil value is kept as null).
func signWith(t testing.TB, method jwt.SigningMethod, header map[string]any, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims returns valid base claims plus extra.
func claims(extra jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"sub": "u-1", "exp": testNow.Add(5 * time.Minute).Unix(), "iat": testNow.Add(-time.Minute).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyTokenRefusesEachBadTokenWithItsOwnMessage(t *testing.T) {
	k := newKeys(t)
	hsOnly := store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "h1", Secret: k.hs}, {KID: "h2", Secret: k.hs2}}}
	rsOnly := store.IdentitySettings{PublicKeys: []store.PublicKey{{KID: "r1", Alg: identity.AlgRS256, PEM: k.rsaPEM}}}
	both := store.IdentitySettings{
		HS256Secrets: []store.HMACSecret{{KID: "h1", Secret: k.hs}},
		PublicKeys: []store.PublicKey{{KID: "r1", Alg: identity.AlgRS256, PEM: k.rsaPEM},
			{KID: "e1", Alg: identity.AlgES256, PEM: k.ecPEM}},
	}
	withIssAud := hsOnly
	withIssAud.Issuer, withIssAud.Audience = "https://shop.example", "halochat"
	leeway := hsOnly
	leeway.LeewaySeconds = 60

	hs := func(kid, secret string, c jwt.MapClaims) string {
		return sign(t, jwt.SigningMethodHS256, kid, []byte(secret), c)
	}
	valid := hs("h1", k.hs, claims(nil))
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + b64(`{"sub":"admin","exp":`+jsonNum(testNow.Add(time.Hour).Unix())+`}`) + "." + parts[2]
	noneTok := b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"sub":"u-1","exp":`+jsonNum(testNow.Add(time.Hour).Unix())+`}`) + "."
	// HS/RS confusion: an HS256 token whose "secret" is the profile's
	// public RSA key, presented under the RSA key's kid.
	confused := hs("r1", k.rsaPEM, claims(nil))

	for _, tc := range []struct {
		name     string
		settings store.IdentitySettings
		token    string
		want     string // "" = accepted; else a piece of the message
	}{
		{"valid HS256 with kid", hsOnly, valid, ""},
		{"HS256 without kid tries every HS256 key", hsOnly, hs("", k.hs2, claims(nil)), ""},
		{"valid RS256", rsOnly, sign(t, jwt.SigningMethodRS256, "r1", k.rsa, claims(nil)), ""},
		{"valid ES256 among several kinds", both, sign(t, jwt.SigningMethodES256, "e1", k.ec, claims(nil)), ""},
		{"RS256 without kid", both, sign(t, jwt.SigningMethodRS256, "", k.rsa, claims(nil)), ""},
		{"alg none", hsOnly, noneTok, `alg "none"`},
		{"HS256 token for an RS256-only profile", rsOnly, hs("", k.hs, claims(nil)), `signed with "HS256", but this chat profile accepts only RS256`},
		{"RS256 token for an HS256-only profile", hsOnly, sign(t, jwt.SigningMethodRS256, "r1", k.rsa, claims(nil)), `signed with "RS256", but this chat profile accepts only HS256`},
		{"HS256 signed with the RSA public key", both, confused, `key "r1" is an RS256 key, but the token says it is signed with HS256`},
		{"expired", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"exp": testNow.Add(-time.Second).Unix()})), "expired at 2026-11-25T11:59:59Z"},
		{"expired but within leeway", leeway, hs("h1", k.hs, claims(jwt.MapClaims{"exp": testNow.Add(-30 * time.Second).Unix()})), ""},
		{"expired beyond leeway", leeway, hs("h1", k.hs, claims(jwt.MapClaims{"exp": testNow.Add(-61 * time.Second).Unix()})), "expired at"},
		{"no exp", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"exp": nil})), "no exp claim"},
		{"exp not a number", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"exp": "tomorrow"})), "exp claim is not a number"},
		{"exp a quoted number", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"exp": "4102444800"})), "exp claim is not a number"},
		{"exp with a fraction", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"exp": float64(testNow.Add(time.Minute).Unix()) + 0.5})), ""},
		{"nbf not a number", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"nbf": []int{1}})), "nbf claim is not a number"},
		{"iss not a string", withIssAud, hs("h1", k.hs, claims(jwt.MapClaims{"iss": 7, "aud": "halochat"})), "iss claim is not a string"},
		{"aud a list with a number", withIssAud, hs("h1", k.hs, claims(jwt.MapClaims{"iss": "https://shop.example", "aud": []any{"halochat", 1}})), "aud claim is not a string"},
		{"nbf in the future", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"nbf": testNow.Add(time.Minute).Unix()})), "not valid before"},
		{"nbf in the future within leeway", leeway, hs("h1", k.hs, claims(jwt.MapClaims{"nbf": testNow.Add(30 * time.Second).Unix()})), ""},
		{"iat in the future", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"iat": testNow.Add(time.Minute).Unix()})), "issued in the future"},
		{"right issuer and audience", withIssAud, hs("h1", k.hs, claims(jwt.MapClaims{"iss": "https://shop.example", "aud": []string{"x", "halochat"}})), ""},
		{"wrong issuer", withIssAud, hs("h1", k.hs, claims(jwt.MapClaims{"iss": "https://evil.example", "aud": "halochat"})), `issuer "https://evil.example" is not the expected`},
		{"missing issuer", withIssAud, hs("h1", k.hs, claims(jwt.MapClaims{"aud": "halochat"})), "no iss claim"},
		{"wrong audience", withIssAud, hs("h1", k.hs, claims(jwt.MapClaims{"iss": "https://shop.example", "aud": "other"})), `does not include the expected "halochat"`},
		{"missing audience", withIssAud, hs("h1", k.hs, claims(jwt.MapClaims{"iss": "https://shop.example"})), "no aud claim"},
		{"tampered payload", hsOnly, tampered, `signature does not verify with key "h1"`},
		{"key of another profile", hsOnly, hs("h1", k.other, claims(nil)), `signature does not verify with key "h1"`},
		{"key of another profile without kid", hsOnly, hs("", k.other, claims(nil)), "signature does not verify with any HS256 key"},
		{"unknown kid", hsOnly, hs("h9", k.hs, claims(nil)), `no key with kid "h9"`},
		{"no keys configured", store.IdentitySettings{}, valid, "no identity token keys"},
		{"not a JWT", hsOnly, "hello", "malformed"},
		{"header not JSON", hsOnly, b64("nope") + "." + parts[1] + "." + parts[2], "malformed"},
		{"too large", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"pad": strings.Repeat("x", identity.MaxTokenBytes)})), "larger than"},
		{"exp in the year 9999", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"exp": 253402300799})), "lifetime is too long"},
		{"exp in the year 9999 without iat", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"exp": 253402300799, "iat": nil})), "lifetime is too long"},
		{"exp a day past iat", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"iat": testNow.Add(-time.Hour).Unix(), "exp": testNow.Add(23 * time.Hour).Unix()})), ""},
		{"exp a day and a second past iat", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"iat": testNow.Add(-time.Hour).Unix(), "exp": testNow.Add(23*time.Hour + time.Second).Unix()})), "lifetime is too long"},
		{"exp a day from now without iat", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"iat": nil, "exp": testNow.Add(24 * time.Hour).Unix()})), ""},
		{"exp a day and a second from now without iat", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"iat": nil, "exp": testNow.Add(24*time.Hour + time.Second).Unix()})), "lifetime is too long"},
		{"no iat: the leeway applies", leeway, hs("h1", k.hs, claims(jwt.MapClaims{"iat": nil, "exp": testNow.Add(24*time.Hour + time.Minute).Unix()})), ""},
		{"crit listing a claim", hsOnly, signWith(t, jwt.SigningMethodHS256, map[string]any{"kid": "h1", "crit": []string{"exp"}}, []byte(k.hs), claims(nil)), "critical extensions (crit"},
		{"crit listing an extension", both, signWith(t, jwt.SigningMethodES256, map[string]any{"kid": "e1", "crit": []string{"b64"}, "b64": false}, k.ec, claims(nil)), "critical extensions (crit"},
		{"crit empty", hsOnly, signWith(t, jwt.SigningMethodHS256, map[string]any{"crit": []string{}}, []byte(k.hs), claims(nil)), "critical extensions (crit"},
		{"crit null", hsOnly, signWith(t, jwt.SigningMethodHS256, map[string]any{"crit": nil}, []byte(k.hs), claims(nil)), "critical extensions (crit"},
		{"jti a number", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"jti": 7})), "jti claim is not a string"},
		{"jti empty", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"jti": ""})), "jti claim is empty"},
		{"jti a string", hsOnly, hs("h1", k.hs, claims(jwt.MapClaims{"jti": "abc"})), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := identity.VerifyToken(tc.settings, tc.token, testNow)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if string(got["sub"]) != `"u-1"` {
					t.Errorf("claims = %s, want sub u-1", got)
				}
				return
			}
			var ie *protocol.APIError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v (%T), want *protocol.APIError", err, err)
			}
			if httpx.Status(ie) != 401 || ie.Code != "invalid_token" {
				t.Errorf("status, code = %d %q, want 401 invalid_token", httpx.Status(ie), ie.Code)
			}
			if !strings.Contains(ie.Message, tc.want) {
				t.Errorf("message %q does not say %q", ie.Message, tc.want)
			}
		})
	}
}

func jsonNum(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestValidateIdentitySettings(t *testing.T) {
	k := newKeys(t)
	smallRSA, p384 := genKeys(t, 1024, elliptic.P384())
	for _, tc := range []struct {
		name  string
		s     store.IdentitySettings
		field string
	}{
		{"fine", store.IdentitySettings{TokenRequired: true, HS256Secrets: []store.HMACSecret{{KID: "a", Secret: k.hs}},
			PublicKeys: []store.PublicKey{{KID: "r", Alg: "RS256", PEM: k.rsaPEM}, {KID: "e", Alg: "ES256", PEM: k.ecPEM}}}, ""},
		{"short secret", store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "a", Secret: "short"}}}, "identity.hs256Secrets[0].secret"},
		{"duplicate kid", store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "a", Secret: k.hs}},
			PublicKeys: []store.PublicKey{{KID: "a", Alg: "RS256", PEM: k.rsaPEM}}}, "identity.publicKeys[0].kid"},
		{"RSA key declared ES256", store.IdentitySettings{PublicKeys: []store.PublicKey{{KID: "r", Alg: "ES256", PEM: k.rsaPEM}}}, "identity.publicKeys[0].pem"},
		{"EC key declared RS256", store.IdentitySettings{PublicKeys: []store.PublicKey{{KID: "e", Alg: "RS256", PEM: k.ecPEM}}}, "identity.publicKeys[0].pem"},
		{"not PEM", store.IdentitySettings{PublicKeys: []store.PublicKey{{KID: "e", Alg: "RS256", PEM: "hello"}}}, "identity.publicKeys[0].pem"},
		{"RSA 1024", store.IdentitySettings{PublicKeys: []store.PublicKey{{KID: "r", Alg: "RS256", PEM: pemOf(t, &smallRSA.PublicKey)}}}, "identity.publicKeys[0].pem"},
		{"P-384 for ES256", store.IdentitySettings{PublicKeys: []store.PublicKey{{KID: "e", Alg: "ES256", PEM: pemOf(t, &p384.PublicKey)}}}, "identity.publicKeys[0].pem"},
		{"HS384", store.IdentitySettings{PublicKeys: []store.PublicKey{{KID: "e", Alg: "HS384", PEM: k.ecPEM}}}, "identity.publicKeys[0].alg"},
		{"negative leeway", store.IdentitySettings{LeewaySeconds: -1}, "identity.leewaySeconds"},
		{"lifetime 0: the default", store.IdentitySettings{MaxTokenLifetimeSeconds: 0}, ""},
		{"lifetime of a minute", store.IdentitySettings{MaxTokenLifetimeSeconds: 60}, ""},
		{"lifetime of 30 days", store.IdentitySettings{MaxTokenLifetimeSeconds: 30 * 24 * 3600}, ""},
		{"lifetime under a minute", store.IdentitySettings{MaxTokenLifetimeSeconds: 59}, "identity.maxTokenLifetimeSeconds"},
		{"lifetime over 30 days", store.IdentitySettings{MaxTokenLifetimeSeconds: 30*24*3600 + 1}, "identity.maxTokenLifetimeSeconds"},
		{"lifetime negative", store.IdentitySettings{MaxTokenLifetimeSeconds: -1}, "identity.maxTokenLifetimeSeconds"},
		{"required without keys", store.IdentitySettings{TokenRequired: true}, "identity.tokenRequired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			field, err := identity.ValidateIdentitySettings(tc.s)
			if field != tc.field {
				t.Errorf("field = %q (%v), want %q", field, err, tc.field)
			}
			if (err == nil) != (tc.field == "") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// A profile's maximum token lifetime replaces the default day.
func TestVerifyTokenHonoursTheProfilesMaximumLifetime(t *testing.T) {
	k := newKeys(t)
	for _, tc := range []struct {
		name    string
		maxLife int
		exp     time.Duration // past iat (a minute ago)
		want    string
	}{
		{"an hour's token on a profile of ten minutes", 600, time.Hour, "accepts at most 10m0s"},
		{"ten minutes on a profile of ten minutes", 600, 10 * time.Minute, ""},
		{"a week's token on a profile of 30 days", 30 * 24 * 3600, 7 * 24 * time.Hour, ""},
		{"a week's token by default", 0, 7 * 24 * time.Hour, "accepts at most 24h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := store.IdentitySettings{HS256Secrets: []store.HMACSecret{{KID: "h1", Secret: k.hs}}, MaxTokenLifetimeSeconds: tc.maxLife}
			iat := testNow.Add(-time.Minute)
			tok := sign(t, jwt.SigningMethodHS256, "h1", []byte(k.hs), claims(jwt.MapClaims{"iat": iat.Unix(), "exp": iat.Add(tc.exp).Unix()}))
			_, err := identity.VerifyToken(s, tok, testNow)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
