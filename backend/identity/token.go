package identity

import (
	"bytes"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// Token algorithms a chat profile may accept. The allow-list of a profile
// is the set of algorithms of its configured keys; the token's header
// only selects among those.
const (
	AlgHS256 = "HS256"
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// Limits on what a profile and a token may hold.
const (
	// MaxTokenBytes caps the size of an identity token.
	MaxTokenBytes = 16 << 10
	// MinHS256SecretBytes is the shortest HS256 secret a profile may hold
	// (RFC 7518 §3.2: a key of at least the hash's size).
	MinHS256SecretBytes = 32
	// MinRSABits is the smallest RS256 public key accepted.
	MinRSABits = 2048
	// MaxLeeway caps a profile's clock leeway.
	MaxLeeway = 5 * time.Minute
	// maxJTIBytes caps a token's jti (it is stored hashed, so only to
	// refuse nonsense early).
	maxJTIBytes = 1000
)

// MaxTokenLifetime is the longest lifetime the settings accept from a
// token: their maxTokenLifetimeSeconds, or a day.
func MaxTokenLifetime(s store.IdentitySettings) time.Duration {
	return time.Duration(protocol.IdentitySettings(s).TokenLifetimeSeconds()) * time.Second
}

// verifyKey is one parsed key of a profile.
type verifyKey struct {
	kid string
	alg string
	key any // []byte, *rsa.PublicKey or *ecdsa.PublicKey
}

// ParsePublicKey parses a PEM public key for alg (RS256: an RSA key of at
// least MinRSABits; ES256: an ECDSA P-256 key). Both PKIX ("PUBLIC KEY")
// and PKCS #1 ("RSA PUBLIC KEY") blocks and certificates are accepted.
func ParsePublicKey(alg, pemText string) (any, error) {
	switch alg {
	case AlgRS256:
		k, err := jwt.ParseRSAPublicKeyFromPEM([]byte(pemText))
		if err != nil {
			return nil, fmt.Errorf("not an RSA public key in PEM: %w", err)
		}
		if k.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("RSA key of %d bits is too short: at least %d", k.N.BitLen(), MinRSABits)
		}
		return k, nil
	case AlgES256:
		k, err := jwt.ParseECPublicKeyFromPEM([]byte(pemText))
		if err != nil {
			return nil, fmt.Errorf("not an ECDSA public key in PEM: %w", err)
		}
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ES256 needs a P-256 key, not %s", k.Curve.Params().Name)
		}
		return k, nil
	}
	return nil, fmt.Errorf("algorithm %q is not %s or %s", alg, AlgRS256, AlgES256)
}

// profileKeys parses the keys of a profile's identity settings.
func profileKeys(s store.IdentitySettings) ([]verifyKey, error) {
	keys := make([]verifyKey, 0, len(s.HS256Secrets)+len(s.PublicKeys))
	for _, h := range s.HS256Secrets {
		keys = append(keys, verifyKey{kid: h.KID, alg: AlgHS256, key: []byte(h.Secret)})
	}
	for _, p := range s.PublicKeys {
		k, err := ParsePublicKey(p.Alg, p.PEM)
		if err != nil {
			return nil, fmt.Errorf("public key %q: %w", p.KID, err)
		}
		keys = append(keys, verifyKey{kid: p.KID, alg: p.Alg, key: k})
	}
	return keys, nil
}

// ValidateIdentitySettings checks a profile's identity settings: HS256
// secrets of at least MinHS256SecretBytes, PEM keys that parse and match
// their algorithm, key ids unique (several keys may have none), leeway
// within [0, MaxLeeway], a maximum token lifetime of 0 (the default) or
// within protocol's [MinTokenLifetimeSeconds, MaxTokenLifetimeSeconds],
// and at least one key when a token is required. It returns the offending field
// (a JSON path under "identity") and a message.
func ValidateIdentitySettings(s store.IdentitySettings) (field string, err error) {
	seen := map[string]string{}
	kid := func(path, k string) error {
		if len(k) > 200 {
			return errors.New("kid is longer than 200 characters")
		}
		if k == "" {
			return nil // tokens without a kid try every key of their algorithm
		}
		if prev, dup := seen[k]; dup {
			return fmt.Errorf("kid %q is also used by %s", k, prev)
		}
		seen[k] = path
		return nil
	}
	for i, h := range s.HS256Secrets {
		path := fmt.Sprintf("identity.hs256Secrets[%d]", i)
		if err := kid(path, h.KID); err != nil {
			return path + ".kid", err
		}
		if len(h.Secret) < MinHS256SecretBytes {
			return path + ".secret", fmt.Errorf("an HS256 secret must be at least %d bytes, this one has %d", MinHS256SecretBytes, len(h.Secret))
		}
		if len(h.Secret) > 1024 {
			return path + ".secret", errors.New("an HS256 secret must be at most 1024 bytes")
		}
	}
	for i, p := range s.PublicKeys {
		path := fmt.Sprintf("identity.publicKeys[%d]", i)
		if err := kid(path, p.KID); err != nil {
			return path + ".kid", err
		}
		if p.Alg != AlgRS256 && p.Alg != AlgES256 {
			return path + ".alg", fmt.Errorf("alg must be %s or %s, not %q", AlgRS256, AlgES256, p.Alg)
		}
		if len(p.PEM) > 16<<10 {
			return path + ".pem", errors.New("a PEM key must be at most 16 KiB")
		}
		if _, err := ParsePublicKey(p.Alg, p.PEM); err != nil {
			return path + ".pem", err
		}
	}
	if s.LeewaySeconds < 0 || time.Duration(s.LeewaySeconds)*time.Second > MaxLeeway {
		return "identity.leewaySeconds", fmt.Errorf("leeway must be between 0 and %d seconds", int(MaxLeeway.Seconds()))
	}
	if l := s.MaxTokenLifetimeSeconds; l != 0 && (l < protocol.MinTokenLifetimeSeconds || l > protocol.MaxTokenLifetimeSeconds) {
		return "identity.maxTokenLifetimeSeconds", fmt.Errorf("the maximum token lifetime must be between %d and %d seconds (0: %d)",
			protocol.MinTokenLifetimeSeconds, protocol.MaxTokenLifetimeSeconds, protocol.DefaultTokenLifetimeSeconds)
	}
	if len(s.Issuer) > 1000 {
		return "identity.issuer", errors.New("issuer is longer than 1000 characters")
	}
	if len(s.Audience) > 1000 {
		return "identity.audience", errors.New("audience is longer than 1000 characters")
	}
	if s.TokenRequired && len(s.HS256Secrets)+len(s.PublicKeys) == 0 {
		return "identity.tokenRequired", errors.New("a profile that requires an identity token needs at least one HS256 secret or public key")
	}
	return "", nil
}

// tokenError is a refused identity token: 401 invalid_token.
func tokenError(format string, args ...any) *protocol.APIError {
	return &protocol.APIError{Code: protocol.CodeInvalidToken, Field: "id_token",
		Message: "identity token refused: " + fmt.Sprintf(format, args...)}
}

// tokenHeader is the part of a JOSE header that selects the key, and its
// crit parameter when it has one.
type tokenHeader struct {
	Alg  string
	KID  string
	Crit json.RawMessage // nil when absent
}

// readHeader decodes a compact JWS header without trusting it.
func readHeader(raw string) (tokenHeader, error) {
	var h tokenHeader
	if n := strings.Count(raw, ".") + 1; n != 3 {
		return h, fmt.Errorf("a JWT has 3 dot-separated parts, this one has %d", n)
	}
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return h, errors.New("its header is not base64url")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return h, errors.New("its header is not a JSON object")
	}
	alg, ok := m["alg"].(string)
	if !ok {
		return h, errors.New("its header has no alg")
	}
	h.Alg = alg
	if k, present := m["kid"]; present {
		s, ok := k.(string)
		if !ok {
			return h, errors.New("its header's kid is not a string")
		}
		h.KID = s
	}
	if c, present := m["crit"]; present {
		h.Crit, _ = json.Marshal(c)
	}
	return h, nil
}

// VerifyToken checks raw against the profile's identity settings and
// returns its claims, each as its JSON text. The algorithm must be one of
// the profile's keys' algorithms (never "none"); the header may not list
// critical extensions (crit: RFC 7515 §4.1.11 has a token refused when
// its crit names one the recipient does not understand, and this service
// understands none); the key is the one named by kid or, without a kid,
// any key of that algorithm; the token must carry exp and be within
// exp / nbf / iat with the profile's leeway, with exp at most the
// profile's maximum lifetime (MaxTokenLifetime) past iat, or past now
// without an iat; it must name the profile's issuer and audience when
// set; a jti must be a non-empty string. Every refusal is a *protocol.APIError
// (invalid_token) saying which check failed.
func VerifyToken(s store.IdentitySettings, raw string, now time.Time) (map[string]json.RawMessage, error) {
	if len(raw) > MaxTokenBytes {
		return nil, tokenError("it is larger than %d KiB", MaxTokenBytes>>10)
	}
	h, err := readHeader(raw)
	if err != nil {
		return nil, tokenError("it is malformed: %v", err)
	}
	if strings.EqualFold(h.Alg, "none") {
		return nil, tokenError(`unsigned tokens (alg "none") are never accepted`)
	}
	if h.Crit != nil {
		return nil, tokenError("its header lists critical extensions (crit %s), and this service understands none", h.Crit)
	}
	keys, err := profileKeys(s)
	if err != nil {
		return nil, tokenError("this chat profile's %v", err)
	}
	if len(keys) == 0 {
		return nil, tokenError("this chat profile has no identity token keys configured")
	}
	var accepted []string
	for _, k := range keys {
		if !slices.Contains(accepted, k.alg) {
			accepted = append(accepted, k.alg)
		}
	}
	slices.Sort(accepted)
	if !slices.Contains(accepted, h.Alg) {
		return nil, tokenError("it is signed with %q, but this chat profile accepts only %s", h.Alg, strings.Join(accepted, ", "))
	}
	var set jwt.VerificationKeySet
	otherAlg := ""
	for _, k := range keys {
		if h.KID != "" && k.kid != h.KID {
			continue
		}
		if k.alg != h.Alg {
			otherAlg = k.alg
			continue
		}
		set.Keys = append(set.Keys, k.key)
	}
	if len(set.Keys) == 0 {
		if otherAlg != "" {
			return nil, tokenError("key %q is an %s key, but the token says it is signed with %s", h.KID, otherAlg, h.Alg)
		}
		return nil, tokenError("this chat profile has no key with kid %q", h.KID)
	}

	claims := rawClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{h.Alg}), jwt.WithoutClaimsValidation())
	_, err = parser.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return set, nil })
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, tokenError("it is malformed: %v", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if h.KID != "" {
			return nil, tokenError("its signature does not verify with key %q of this chat profile", h.KID)
		}
		return nil, tokenError("its signature does not verify with any %s key of this chat profile", h.Alg)
	default:
		return nil, tokenError("it cannot be verified: %v", err)
	}
	if err := checkTimes(claims, now, time.Duration(s.LeewaySeconds)*time.Second, MaxTokenLifetime(s)); err != nil {
		return nil, err
	}
	if _, err := claims.jti(); err != nil {
		return nil, err
	}
	if s.Issuer != "" {
		iss, err := claims.GetIssuer()
		switch {
		case err != nil:
			return nil, tokenError("its iss claim is not a string")
		case iss == "":
			return nil, tokenError("it has no iss claim; this chat profile expects issuer %q", s.Issuer)
		case iss != s.Issuer:
			return nil, tokenError("its issuer %q is not the expected %q", iss, s.Issuer)
		}
	}
	if s.Audience != "" {
		aud, err := claims.GetAudience()
		switch {
		case err != nil:
			return nil, tokenError("its aud claim is not a string or a list of strings")
		case len(aud) == 0:
			return nil, tokenError("it has no aud claim; this chat profile expects audience %q", s.Audience)
		case !slices.Contains(aud, s.Audience):
			return nil, tokenError("its audience %q does not include the expected %q", []string(aud), s.Audience)
		}
	}
	return claims, nil
}

// rawClaims are a token's claims, each kept as its JSON text: what the
// claim mapping reads, decoded once. It is the jwt.Claims of the time,
// issuer and audience checks, which read as jwt.MapClaims does.
type rawClaims map[string]json.RawMessage

// numericDate reads a NumericDate claim: nil when absent, an error when
// not a number.
func (c rawClaims) numericDate(name string) (*jwt.NumericDate, error) {
	raw, ok := c[name]
	if !ok {
		return nil, nil
	}
	var n json.Number // which would take a quoted number too: refused
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '"' {
		return nil, fmt.Errorf("%s is not a number: %w", name, jwt.ErrInvalidType)
	}
	if err := json.Unmarshal(raw, &n); err != nil || n == "" {
		return nil, fmt.Errorf("%s is not a number: %w", name, jwt.ErrInvalidType)
	}
	f, err := n.Float64()
	if err != nil {
		return nil, fmt.Errorf("%s is not a number: %w", name, jwt.ErrInvalidType)
	}
	sec, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9))), nil
}

func (c rawClaims) text(name string) (string, error) {
	raw, ok := c[name]
	if !ok {
		return "", nil
	}
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil || s == nil {
		return "", fmt.Errorf("%s is not a string: %w", name, jwt.ErrInvalidType)
	}
	return *s, nil
}

// jti reads the jti claim: "" when absent, a refusal when it is not a
// non-empty string.
func (c rawClaims) jti() (string, error) {
	if _, ok := c["jti"]; !ok {
		return "", nil
	}
	s, err := c.text("jti")
	switch {
	case err != nil:
		return "", tokenError("its jti claim is not a string")
	case s == "":
		return "", tokenError("its jti claim is empty")
	case len(s) > maxJTIBytes:
		return "", tokenError("its jti claim is longer than %d bytes", maxJTIBytes)
	}
	return s, nil
}

func (c rawClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.numericDate("exp") }
func (c rawClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.numericDate("nbf") }
func (c rawClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.numericDate("iat") }
func (c rawClaims) GetIssuer() (string, error)                   { return c.text("iss") }
func (c rawClaims) GetSubject() (string, error)                  { return c.text("sub") }

// GetAudience reads aud: a string or a list of strings.
func (c rawClaims) GetAudience() (jwt.ClaimStrings, error) {
	raw, ok := c["aud"]
	if !ok {
		return nil, nil
	}
	var one *string
	if err := json.Unmarshal(raw, &one); err == nil && one != nil {
		return jwt.ClaimStrings{*one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || many == nil {
		return nil, fmt.Errorf("aud is not a string or a list of strings: %w", jwt.ErrInvalidType)
	}
	return many, nil
}

// checkTimes applies exp (required), nbf and iat with the leeway, and the
// maximum lifetime: exp at most maxLife past iat, or past now (with the
// leeway) when there is no iat.
func checkTimes(claims jwt.Claims, now time.Time, leeway, maxLife time.Duration) error {
	exp, err := claims.GetExpirationTime()
	if err != nil {
		return tokenError("its exp claim is not a number")
	}
	if exp == nil {
		return tokenError("it has no exp claim: identity tokens must expire")
	}
	if !now.Before(exp.Add(leeway)) {
		return tokenError("it expired at %s (now %s, leeway %s)", exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
	}
	nbf, err := claims.GetNotBefore()
	if err != nil {
		return tokenError("its nbf claim is not a number")
	}
	if nbf != nil && now.Before(nbf.Add(-leeway)) {
		return tokenError("it is not valid before %s (now %s, leeway %s)", nbf.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
	}
	iat, err := claims.GetIssuedAt()
	if err != nil {
		return tokenError("its iat claim is not a number")
	}
	if iat != nil && now.Before(iat.Add(-leeway)) {
		return tokenError("it was issued in the future (iat %s, now %s, leeway %s)", iat.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
	}
	if iat != nil && exp.Sub(iat.Time) > maxLife {
		return tokenError("its lifetime is too long: exp %s is %s past its iat %s, and this chat profile accepts at most %s",
			exp.UTC().Format(time.RFC3339), lifetime(exp.Sub(iat.Time)), iat.UTC().Format(time.RFC3339), maxLife)
	}
	if iat == nil && exp.Sub(now) > maxLife+leeway {
		return tokenError("its lifetime is too long: exp %s is %s from now (%s) and it has no iat, and this chat profile accepts at most %s (leeway %s)",
			exp.UTC().Format(time.RFC3339), lifetime(exp.Sub(now)), now.UTC().Format(time.RFC3339), maxLife, leeway)
	}
	return nil
}

// lifetime says a token lifetime in hours (time.Duration's own text
// overflows past 292 years, which an exp in the year 9999 is).
func lifetime(d time.Duration) string {
	if d == math.MaxInt64 || d == math.MinInt64 {
		return "more than 292 years"
	}
	return d.Round(time.Second).String()
}
