package console

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
)

func jwtOf(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + ".c2ln"
}

func TestTokenReportSaysWhatEachClaimFillsAndWhatIsRefused(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	p := &protocol.ChatProfile{TokenMappings: map[string]string{"given_name": "firstname"},
		Identity: protocol.IdentitySettings{HS256Secrets: []protocol.HMACSecret{{KID: "k", Secret: "s"}}}}
	schema := flow.Schema{ChatFields: []flow.FieldDef{
		{Name: "CFcustomerTier", Label: "Customer Tier", Type: flow.TypeChoice, Choices: []string{"gold", "silver"}},
		{Name: "CFseats", Label: "Seats", Type: flow.TypeNumber},
	}}
	tok := jwtOf(t, map[string]any{"alg": "HS256", "kid": "k"}, map[string]any{
		"given_name": "Jo", "CFcustomerTier": "platinum", "Seats": "12", "shoe": "42", "exp": now.Add(-time.Minute).Unix()})
	notes, rows := tokenReport(tok, p, schema, now)
	if !strings.Contains(strings.Join(notes, " "), "expired") {
		t.Errorf("notes %q do not say the token expired", notes)
	}
	want := map[string]string{
		"given_name":     "user field firstname",
		"CFcustomerTier": "refused",
		"Seats":          "chat custom field CFseats (by label)",
		"shoe":           "ignored",
		"exp":            "standard claim",
	}
	for _, r := range rows {
		if w, ok := want[r.claim]; ok && !strings.Contains(r.effect, w) {
			t.Errorf("claim %s: %q, want it to say %q", r.claim, r.effect, w)
		}
		delete(want, r.claim)
	}
	if len(want) > 0 {
		t.Errorf("claims not reported: %v", want)
	}
	if notes, _ := tokenReport("not a token", p, schema, now); !strings.Contains(notes[0], "Not a JWT") {
		t.Errorf("garbage: %q", notes)
	}
	rs := jwtOf(t, map[string]any{"alg": "RS256"}, map[string]any{})
	if notes, _ := tokenReport(rs, p, schema, now); !strings.Contains(strings.Join(notes, " "), "no public key") {
		t.Errorf("RS256 without keys: %q", notes)
	}
}

// The box says what the server's lifetime and crit checks will refuse.
func TestTokenReportRefusesLongLivedTokensAndCritHeaders(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	day := protocol.IdentitySettings{HS256Secrets: []protocol.HMACSecret{{KID: "k", Secret: "s"}}}
	tenMinutes := day
	tenMinutes.MaxTokenLifetimeSeconds = 600
	hs := map[string]any{"alg": "HS256", "kid": "k"}
	for _, tc := range []struct {
		name     string
		settings protocol.IdentitySettings
		header   map[string]any
		claims   map[string]any
		want     string // a piece of the notes; "" = no refusal
	}{
		{"a day past iat", day, hs, map[string]any{"iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix()}, ""},
		{"a day and a second past iat", day, hs, map[string]any{"iat": now.Unix(), "exp": now.Add(24*time.Hour + time.Second).Unix()}, "maximum token lifetime (24h0m0s)"},
		{"the year 9999 without iat", day, hs, map[string]any{"exp": 253402300799}, "maximum token lifetime"},
		{"an hour on a profile of ten minutes", tenMinutes, hs, map[string]any{"exp": now.Add(time.Hour).Unix()}, "maximum token lifetime (10m0s)"},
		{"crit", day, map[string]any{"alg": "HS256", "crit": []string{"exp"}}, map[string]any{"exp": now.Add(time.Hour).Unix()}, "crit"},
		{"crit null", day, map[string]any{"alg": "HS256", "crit": nil}, map[string]any{"exp": now.Add(time.Hour).Unix()}, "crit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &protocol.ChatProfile{Identity: tc.settings}
			notes, _ := tokenReport(jwtOf(t, tc.header, tc.claims), p, flow.Schema{}, now)
			all := strings.Join(notes, " ")
			if tc.want == "" && strings.Contains(all, "Refused") || tc.want != "" && !strings.Contains(all, tc.want) {
				t.Errorf("notes %q, want %q", notes, tc.want)
			}
		})
	}
	_, rows := tokenReport(jwtOf(t, hs, map[string]any{"jti": "j1", "exp": now.Add(time.Hour).Unix()}), &protocol.ChatProfile{Identity: day}, flow.Schema{}, now)
	if len(rows) != 2 || rows[1].claim != "jti" || !strings.Contains(rows[1].effect, "used once") {
		t.Errorf("rows %+v do not say a jti makes the token single-use", rows)
	}
}
