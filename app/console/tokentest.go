package console

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/flow"
	"halochat/app/protocol"
)

// claimRow says what one claim of a pasted token would do.
type claimRow struct {
	claim, value, effect string
	refused              bool
}

// tokenReport decodes a JWT (without checking its signature: the server
// does) and says which claims would fill which fields under profile p's
// mappings, and why the token or a claim would be refused.
func tokenReport(raw string, p *protocol.ChatProfile, schema flow.Schema, now time.Time) (notes []string, rows []claimRow) {
	parts := strings.Split(strings.TrimSpace(raw), ".")
	if len(parts) != 3 {
		return []string{"Not a JWT: it must have three parts separated by dots."}, nil
	}
	var header struct {
		Alg  string          `json:"alg"`
		KID  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return []string{"The header cannot be read: " + err.Error()}, nil
	}
	claims := map[string]any{}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return []string{"The claims cannot be read: " + err.Error()}, nil
	}
	notes = append(notes, fmt.Sprintf("Algorithm %s, key id %q. The signature is checked by the server only.", header.Alg, header.KID))
	switch header.Alg {
	case "HS256":
		if len(p.Identity.HS256Secrets) == 0 {
			notes = append(notes, "Refused: this profile has no HS256 secret.")
		}
	case "RS256", "ES256":
		if len(p.Identity.PublicKeys) == 0 {
			notes = append(notes, "Refused: this profile has no public key.")
		}
	default:
		notes = append(notes, "Refused: only HS256, RS256 and ES256 are accepted.")
	}
	if header.Crit != nil {
		notes = append(notes, "Refused: its header lists critical extensions (crit), and the server understands none.")
	}
	if exp, ok := claims["exp"].(float64); ok && time.Unix(int64(exp), 0).Before(now) {
		notes = append(notes, "Refused: the token expired at "+time.Unix(int64(exp), 0).UTC().Format(time.RFC3339)+".")
	}
	if note := lifetimeNote(claims, p.Identity, now); note != "" {
		notes = append(notes, note)
	}
	if p.Identity.Issuer != "" && claims["iss"] != p.Identity.Issuer {
		notes = append(notes, fmt.Sprintf("Refused: the issuer must be %q.", p.Identity.Issuer))
	}
	names := make([]string, 0, len(claims))
	for k := range claims {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := claims[name]
		text := fmt.Sprint(v)
		if s, ok := v.(string); ok {
			text = s
		}
		row := claimRow{claim: name, value: text}
		switch {
		case name == "jti":
			row.effect = "token id: the token is used once (a chat start, an upgrade or a portal login)"
		case slices.Contains([]string{"exp", "iat", "nbf", "iss", "aud", "sub"}, name):
			row.effect = "standard claim (checked, not stored)"
		case name == "chatmatchingdataguid" || name == "chatmatchingdatakey":
			row.effect = "ChatMatchingData: the registered data fills the fields"
		case p.TokenMappings[name] != "":
			row.effect = "user field " + p.TokenMappings[name]
		default:
			d, ok := schema.ChatField(name)
			if !ok {
				row.effect = "ignored (no mapping, no chat custom field of that name or label)"
				break
			}
			how := "by database name"
			if d.Name != name {
				how = "by label"
			}
			row.effect = "chat custom field " + d.Name + " (" + how + ")"
			if _, err := d.Parse(text); err != nil {
				row.effect += ": refused, " + err.Error()
				row.refused = true
			}
		}
		rows = append(rows, row)
	}
	return notes, rows
}

// lifetimeNote refuses a token whose exp lies further past its iat (or,
// without one, past now and the leeway) than the profile's maximum
// token lifetime; "" when it does not.
func lifetimeNote(claims map[string]any, s protocol.IdentitySettings, now time.Time) string {
	exp, ok := claims["exp"].(float64)
	if !ok {
		return ""
	}
	from, slack := float64(now.Unix()), float64(s.LeewaySeconds)
	if iat, ok := claims["iat"].(float64); ok {
		from, slack = iat, 0
	}
	max := s.TokenLifetimeSeconds()
	if exp-from <= float64(max)+slack {
		return ""
	}
	return fmt.Sprintf("Refused: the token is valid for longer than this profile's maximum token lifetime (%s).", time.Duration(max)*time.Second)
}

func decodeSegment(seg string, dst any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

// tokenTester is the "test a token" box of the profile page.
func (pe *ProfileEdit) tokenTester() app.UI {
	rows := make([]app.UI, 0, len(pe.tokenRows))
	for _, r := range pe.tokenRows {
		cls := "cc-claim"
		if r.refused {
			cls += " cc-field-error"
		}
		rows = append(rows, app.Tr().Class(cls).Body(app.Td().Body(app.Code().Text(r.claim)), app.Td().Text(r.value), app.Td().Text(r.effect)))
	}
	return app.Section().ID("cc-token-test").Class("cc-embed").Body(
		app.H2().Text("Test an identity token"),
		app.P().Class("cc-muted").Text("Paste a JWT your backend signs: see which claims would fill which fields with this profile's saved settings, and why it would be refused."),
		app.Textarea().ID("tt-token").Placeholder("eyJhbGciOi…"),
		app.Button().ID("tt-decode").Text("Decode").OnClick(func(ctx app.Context, e app.Event) {
			pe.tokenNotes, pe.tokenRows = tokenReport(inputValue("tt-token"), pe.p, pe.schema, time.Now())
		}),
		app.Range(pe.tokenNotes).Slice(func(i int) app.UI { return app.P().Class("cc-token-note").Text(pe.tokenNotes[i]) }),
		app.If(len(rows) > 0, func() app.UI { return table([]string{"Claim", "Value", "Would fill"}, rows) }),
	)
}
