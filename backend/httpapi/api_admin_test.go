package httpapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/identity"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

const testHS256 = "an HS256 secret of at least 32 bytes!"

// profileBody is a valid profile; change returns a copy with changes.
func profileBody(name string, change func(m map[string]any)) map[string]any {
	m := map[string]any{
		"name":   name,
		"access": store.AccessPortalAndExternal,
		"appearance": map[string]any{"colour": "#1f6feb", "theme": "dark", "title": "Help",
			"greeting": "Hi!", "launcherPosition": "bottom-left"},
		"allowedOrigins": []string{"https://Shop.Example.com:443", "http://localhost:8081"},
		"identity": map[string]any{"hs256Secrets": []map[string]any{{"kid": "k1", "secret": testHS256}},
			"leewaySeconds": 30},
		"tokenMappings": map[string]string{"given_name": "firstName", "family_name": "last_name", "sub": "externalid", "email": "email"},
		"availability": map[string]any{"timeZone": "Europe/London",
			"weekly": []map[string]any{{"weekday": 1, "start": "09:00", "end": "17:30"}}, "holidays": []map[string]any{{"date": "2026-12-25"}}},
	}
	if change != nil {
		change(m)
	}
	return m
}

func TestEndToEndMatchingDataThroughTheAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		ctx := context.Background()
		for _, fd := range []map[string]any{
			{"entity": "chat", "name": "CFtier", "label": "Customer Tier", "type": "choice",
				"choices": []map[string]string{{"value": "bronze"}, {"value": "gold"}}},
			{"entity": "chat", "name": "CFseats", "label": "Seats", "type": "number"},
			{"entity": "chat", "name": "CFaccount", "label": "Account Number", "type": "text"},
		} {
			must(t, f.call(t, f.adminClient, "POST", "/api/CustomField", fd), 201)
		}
		pr := must(t, f.call(t, f.admin, "POST", "/api/ChatProfile", profileBody("e2e", nil)), 201)
		p, err := f.st.GetProfile(ctx, pr.path("id"))
		if err != nil {
			t.Fatal(err)
		}
		r := &identity.Resolver{Store: f.st}
		sign := func(claims jwt.MapClaims) string {
			return testenv.IDToken(t, testHS256, map[string]any{"kid": "k1"}, claims)
		}

		md := must(t, f.call(t, f.usersClient, "POST", "/api/ChatMatchingData",
			`[{"json_content":{"given_name":"John","family_name":"Smith","sub":"crm-77","email":"John@Example.com",
			   "Customer Tier":"gold","CFseats":"12","unknown":"ignored"},"single_use":true}]`), 201)
		item := md.body.([]any)[0].(map[string]any)
		tok := sign(jwt.MapClaims{identity.ClaimMatchingGUID: item["guid"], identity.ClaimMatchingKey: item["key"]})
		id, err := r.Resolve(ctx, p, identity.Request{IDToken: tok, Embedded: true})
		if err != nil {
			t.Fatal(err)
		}
		u := id.User
		if !id.Authenticated || u.FirstName != "John" || u.LastName != "Smith" || u.ExternalID != "crm-77" || u.Email != "john@example.com" {
			t.Errorf("user = %+v", u)
		}
		got := map[string]string{}
		for _, cf := range id.ChatFields {
			got[cf.Name] = cf.Value
		}
		if len(got) != 2 || got["CFtier"] != "gold" || got["CFseats"] != "12" {
			t.Errorf("chat fields = %v", got)
		}
		if _, err := r.Resolve(ctx, p, identity.Request{IDToken: tok, Embedded: true}); err == nil ||
			!strings.Contains(err.Error(), "used") {
			t.Errorf("second use of a single-use item: %v", err)
		}

		// Custom fields as claims, by database name and by label; the
		// database name wins when both are there.
		tok = sign(jwt.MapClaims{"sub": "crm-77", "CFtier": "bronze", "Customer Tier": "gold", "Seats": 3, "Account Number": "A-1"})
		id, err = r.Resolve(ctx, p, identity.Request{IDToken: tok, Embedded: true})
		if err != nil {
			t.Fatal(err)
		}
		got = map[string]string{}
		for _, cf := range id.ChatFields {
			got[cf.Name] = cf.Value
		}
		if got["CFtier"] != "bronze" || got["CFseats"] != "3" || got["CFaccount"] != "A-1" || len(got) != 3 {
			t.Errorf("chat fields = %v", got)
		}
		if id.User.ID != u.ID {
			t.Errorf("the same external id resolved to user %d, then %d", u.ID, id.User.ID)
		}
	})
}

func ecPEM(t *testing.T) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestChatProfileAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		ctx := context.Background()
		ec := ecPEM(t)
		created := must(t, f.call(t, f.admin, "POST", "/api/ChatProfile", profileBody("main", func(m map[string]any) {
			m["identity"].(map[string]any)["publicKeys"] = []map[string]any{{"kid": "e1", "alg": "ES256", "pem": ec}}
		})), 201)
		id, key := created.path("id"), created.path("key")
		if id == "" || len(key) < 20 {
			t.Fatalf("created %s", created.raw)
		}
		p, err := f.st.GetProfile(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(p.AllowedOrigins, " ") != "https://shop.example.com http://localhost:8081" {
			t.Errorf("origins stored as %v", p.AllowedOrigins)
		}
		if p.TokenMappings["given_name"] != "firstname" || p.TokenMappings["family_name"] != "lastname" {
			t.Errorf("mappings stored as %v", p.TokenMappings)
		}

		t.Run("invalid input is a 400 naming the field, and changes nothing", func(t *testing.T) {
			for _, tc := range invalidProfileEdits(ec) {
				body := profileBody("main", tc.change)
				r := f.call(t, f.admin, "POST", "/api/ChatProfile", body)
				wantError(t, r, 400, protocol.CodeInvalidRequest, tc.field)
				r = f.call(t, f.admin, "PUT", "/api/ChatProfile/"+id, body)
				wantError(t, r, 400, protocol.CodeInvalidRequest, tc.field)
			}
			ps, err := f.st.ListProfiles(ctx)
			if err != nil || len(ps) != 1 {
				t.Fatalf("profiles = %d, %v", len(ps), err)
			}
			if !ps[0].UpdatedAt.Equal(p.UpdatedAt) {
				t.Errorf("a refused PUT changed the profile")
			}
			wantError(t, f.call(t, f.admin, "POST", "/api/ChatProfile", profileBody("main", nil)), 409, protocol.CodeConflict, "name")
			wantError(t, f.call(t, f.admin, "POST", "/api/ChatProfile", "name=x", "application/x-www-form-urlencoded"), 415, protocol.CodeUnsupportedMedia, "")
			wantError(t, f.call(t, f.admin, "POST", "/api/ChatProfile", `{"name":"a"} {}`), 400, protocol.CodeInvalidRequest, "more than one")
			wantError(t, f.call(t, f.admin, "POST", "/api/ChatProfile", `{"name":"`+strings.Repeat("x", maxAdminBody)+`"}`), 413, protocol.CodeTooLarge, "")
		})

		t.Run("get, update (GET's answer can be sent back), regenerate key, delete", func(t *testing.T) {
			got := must(t, f.call(t, f.admin, "GET", "/api/ChatProfile/"+id, nil), 200)
			body := got.body.(map[string]any)
			body["name"] = "main renamed"
			body["appearance"].(map[string]any)["colour"] = "Teal"
			body["identity"].(map[string]any)["maxTokenLifetimeSeconds"] = 3600
			if got.path("ratingQuestion") != protocol.RatingQuestionAsk {
				t.Errorf("a profile created without a ratingQuestion reads %q, want ask", got.path("ratingQuestion"))
			}
			body["ratingQuestion"] = protocol.RatingQuestionOff
			body["retentionDays"] = 90
			body["notificationEmail"] = " desk@example.com "
			if got.path("language") != "auto" || got.path("defaultLanguage") != "en" {
				t.Errorf("a profile created without languages reads language %q, defaultLanguage %q; want auto, en",
					got.path("language"), got.path("defaultLanguage"))
			}
			body["language"], body["defaultLanguage"] = "ar", "fr"
			up := must(t, f.call(t, f.adminClient, "PUT", "/api/ChatProfile/"+id, body), 200)
			if up.path("name") != "main renamed" || up.path("appearance", "colour") != "Teal" || up.path("key") != key ||
				up.path("identity", "maxTokenLifetimeSeconds") != "3600" || up.path("ratingQuestion") != protocol.RatingQuestionOff ||
				up.path("retentionDays") != "90" || up.path("notificationEmail") != "desk@example.com" || up.path("language") != "ar" || up.path("defaultLanguage") != "fr" {
				t.Errorf("updated %s", up.raw)
			}
			if p, _ := f.st.GetProfile(ctx, id); p.Identity.MaxTokenLifetimeSeconds != 3600 || p.RatingQuestion != protocol.RatingQuestionOff ||
				p.RetentionDays != 90 || p.Language != "ar" || p.DefaultLanguage != "fr" {
				t.Errorf("stored maximum token lifetime %d, rating question %q, retention %d, languages %q %q", p.Identity.MaxTokenLifetimeSeconds,
					p.RatingQuestion, p.RetentionDays, p.Language, p.DefaultLanguage)
			}
			body["id"] = "other"
			wantError(t, f.call(t, f.admin, "PUT", "/api/ChatProfile/"+id, body), 400, protocol.CodeInvalidRequest, "id")
			nk := must(t, f.call(t, f.admin, "POST", "/api/ChatProfile/"+id+"/key", nil), 200)
			if nk.path("key") == "" || nk.path("key") == key {
				t.Errorf("new key %q (old %q)", nk.path("key"), key)
			}
			if p, _ := f.st.GetProfile(ctx, id); p.Key != nk.path("key") {
				t.Errorf("stored key %q", p.Key)
			}
			list := must(t, f.call(t, f.admin, "GET", "/api/ChatProfile", nil), 200)
			if n := len(list.body.([]any)); n != 1 {
				t.Errorf("%d profiles listed", n)
			}
			wantError(t, f.call(t, f.admin, "GET", "/api/ChatProfile/nope", nil), 404, protocol.CodeNotFound, "nope")
			must(t, f.call(t, f.admin, "DELETE", "/api/ChatProfile/"+id, nil), 204)
			wantError(t, f.call(t, f.admin, "GET", "/api/ChatProfile/"+id, nil), 404, protocol.CodeNotFound, "")
		})
	})
}

// profileEdit makes a valid profile body invalid in field.
type profileEdit struct {
	field  string
	change func(m map[string]any)
}

// invalidProfileEdits are the edits a profile body is refused for, one
// per rule (ec: an ECDSA public key, PEM).
func invalidProfileEdits(ec string) []profileEdit {
	return []profileEdit{
		{"name", func(m map[string]any) { m["name"] = " " }},
		{"access", func(m map[string]any) { m["access"] = "everyone" }},
		{"appearance.colour", func(m map[string]any) { m["appearance"].(map[string]any)["colour"] = "red;}body{display:none" }},
		{"appearance.colour", func(m map[string]any) { m["appearance"].(map[string]any)["colour"] = "#12345" }},
		{"appearance.theme", func(m map[string]any) { m["appearance"].(map[string]any)["theme"] = "blue" }},
		{"appearance.launcherPosition", func(m map[string]any) { m["appearance"].(map[string]any)["launcherPosition"] = "top" }},
		{"appearance.iconUrl", func(m map[string]any) { m["appearance"].(map[string]any)["iconUrl"] = "javascript:alert(1)" }},
		{"allowedOrigins[0]", func(m map[string]any) { m["allowedOrigins"] = []string{"https://shop.example.com/path"} }},
		{"allowedOrigins[0]", func(m map[string]any) { m["allowedOrigins"] = []string{"shop.example.com"} }},
		{"allowedOrigins[0]", func(m map[string]any) { m["allowedOrigins"] = []string{"*"} }},
		{"allowedOrigins[1]", func(m map[string]any) { m["allowedOrigins"] = []string{"https://a.example", "https://A.example:443"} }},
		{"identity.hs256Secrets[0].secret", func(m map[string]any) {
			m["identity"] = map[string]any{"hs256Secrets": []map[string]any{{"kid": "k", "secret": "too short"}}}
		}},
		{"identity.publicKeys[0].pem", func(m map[string]any) {
			m["identity"] = map[string]any{"publicKeys": []map[string]any{{"kid": "r", "alg": "RS256", "pem": ec}}}
		}},
		{"identity.publicKeys[0].alg", func(m map[string]any) {
			m["identity"] = map[string]any{"publicKeys": []map[string]any{{"kid": "r", "alg": "none", "pem": ec}}}
		}},
		{"identity.tokenRequired", func(m map[string]any) { m["identity"] = map[string]any{"tokenRequired": true} }},
		{"identity.leewaySeconds", func(m map[string]any) { m["identity"].(map[string]any)["leewaySeconds"] = 3600 }},
		{"identity.maxTokenLifetimeSeconds", func(m map[string]any) { m["identity"].(map[string]any)["maxTokenLifetimeSeconds"] = 59 }},
		{"identity.maxTokenLifetimeSeconds", func(m map[string]any) { m["identity"].(map[string]any)["maxTokenLifetimeSeconds"] = 30*24*3600 + 1 }},
		{"identity.maxTokenLifetimeSeconds", func(m map[string]any) { m["identity"].(map[string]any)["maxTokenLifetimeSeconds"] = -1 }},
		{`tokenMappings["given_name"]`, func(m map[string]any) { m["tokenMappings"] = map[string]string{"given_name": "shoeSize"} }},
		{`tokenMappings["chatmatchingdataguid"]`, func(m map[string]any) {
			m["tokenMappings"] = map[string]string{"chatmatchingdataguid": "externalid"}
		}},
		{"attachments.maxBytes", func(m map[string]any) { m["attachments"] = map[string]any{"maxBytes": 101 << 20} }},
		{"attachments.types[1]", func(m map[string]any) { m["attachments"] = map[string]any{"types": []string{"image", "svg"}} }},
		{"attachments.types[1]", func(m map[string]any) { m["attachments"] = map[string]any{"types": []string{"pdf", "pdf"}} }},
		{"availability.timeZone", func(m map[string]any) { m["availability"] = map[string]any{"timeZone": "Mars/Olympus"} }},
		{"availability.weekly[0].end", func(m map[string]any) {
			m["availability"] = map[string]any{"weekly": []map[string]any{{"weekday": 1, "start": "17:00", "end": "09:00"}}}
		}},
		{"availability.weekly[0].weekday", func(m map[string]any) {
			m["availability"] = map[string]any{"weekly": []map[string]any{{"weekday": 7, "start": "09:00", "end": "10:00"}}}
		}},
		{"availability.holidays[0].date", func(m map[string]any) {
			m["availability"] = map[string]any{"holidays": []map[string]any{{"date": "25/12/2026"}}}
		}},
		{"trustEmailStorage", func(m map[string]any) { m["trustEmailStorage"] = true }},
		{"ratingQuestion", func(m map[string]any) { m["ratingQuestion"] = "sometimes" }},
		{"ratingQuestion", func(m map[string]any) { m["ratingQuestion"] = false }},
		{"retentionDays", func(m map[string]any) { m["retentionDays"] = -1 }},
		{"notificationEmail", func(m map[string]any) { m["notificationEmail"] = "desk" }},
		{"notificationEmail", func(m map[string]any) { m["notificationEmail"] = "a@example.com, b@example.com" }},
		{"retentionDays", func(m map[string]any) { m["retentionDays"] = 36501 }},
		{"retentionDays", func(m map[string]any) { m["retentionDays"] = "30" }},
		{"language", func(m map[string]any) { m["language"] = "de-DE" }},
		{"language", func(m map[string]any) { m["language"] = "it" }},
		{"defaultLanguage", func(m map[string]any) { m["defaultLanguage"] = "auto" }},
		{"defaultLanguage", func(m map[string]any) { m["defaultLanguage"] = "EN" }},
		{"flowId", func(m map[string]any) { m["flowId"] = 999 }},
		{"startStep", func(m map[string]any) { m["startStep"] = 3 }},
		{"ticketTypeId", func(m map[string]any) { m["ticketTypeId"] = 999 }},
		{"colours", func(m map[string]any) { m["colours"] = "red" }},
		{"access", func(m map[string]any) { m["access"] = 3 }},
	}
}

// saveFlowUsing stores a flow whose step 2 is a condition on a chat field.
func saveFlowUsing(t *testing.T, st *store.Store, flowName, field string) {
	t.Helper()
	ctx := context.Background()
	fl := &store.Flow{Name: flowName}
	if err := st.CreateFlow(ctx, fl); err != nil {
		t.Fatal(err)
	}
	steps := []store.FlowStep{{Step: 1, Kind: "message"}, {Step: 2, Kind: "condition", Fields: []string{field}}}
	if _, err := st.CreateFlowVersion(ctx, fl.ID, 0, []byte(`{"name":"x"}`), steps); err != nil {
		t.Fatal(err)
	}
}

func TestCustomFieldAndTicketTypeAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		tier := must(t, f.call(t, f.admin, "POST", "/api/CustomField", map[string]any{"entity": "chat", "name": "CFtier",
			"label": "Customer Tier", "type": "choice", "choices": []map[string]string{{"value": "gold", "label": "Gold"}}}), 201)
		tierID := tier.path("id")
		must(t, f.call(t, f.admin, "POST", "/api/CustomField", map[string]any{"entity": "ticket", "name": "CFtier",
			"label": "Customer Tier", "type": "text"}), 201)

		for _, tc := range []struct {
			body   map[string]any
			status int
			says   string
		}{
			{map[string]any{"entity": "user", "name": "CFx", "label": "X", "type": "text"}, 400, "entity"},
			{map[string]any{"entity": "chat", "name": "tier", "label": "X", "type": "text"}, 400, "name"},
			{map[string]any{"entity": "chat", "name": "CF_x", "label": "X", "type": "text"}, 400, "name"},
			{map[string]any{"entity": "chat", "name": "CFx", "label": "", "type": "text"}, 400, "label"},
			{map[string]any{"entity": "chat", "name": "CFx", "label": " X", "type": "text"}, 400, "label"},
			{map[string]any{"entity": "chat", "name": "CFx", "label": "X", "type": "money"}, 400, "type"},
			{map[string]any{"entity": "chat", "name": "CFx", "label": "X", "type": "choice"}, 400, "choices"},
			{map[string]any{"entity": "chat", "name": "CFx", "label": "X", "type": "text", "choices": []map[string]string{{"value": "a"}}}, 400, "choices"},
			{map[string]any{"entity": "chat", "name": "CFx", "label": "X", "type": "choice", "choices": []map[string]string{{"value": "a"}, {"value": "a"}}}, 400, "choices[1].value"},
			{map[string]any{"entity": "chat", "name": "CFtier", "label": "Other", "type": "text"}, 409, "name"},
			{map[string]any{"entity": "chat", "name": "CFother", "label": "Customer Tier", "type": "text"}, 409, "label"},
			{map[string]any{"entity": "chat", "name": "CFx", "label": "X", "type": "text", "colour": 1}, 400, "colour"},
		} {
			r := f.call(t, f.admin, "POST", "/api/CustomField", tc.body)
			wantError(t, r, tc.status, "", tc.says)
		}

		t.Run("a chat field a flow's condition uses cannot be renamed or deleted", func(t *testing.T) {
			saveFlowUsing(t, f.st, "Support flow", "CFtier")
			body := must(t, f.call(t, f.admin, "GET", "/api/CustomField/"+tierID, nil), 200).body.(map[string]any)
			body["name"] = "CFlevel"
			wantError(t, f.call(t, f.admin, "PUT", "/api/CustomField/"+tierID, body), 409, protocol.CodeConflict, `flow "Support flow"`)
			wantError(t, f.call(t, f.admin, "PUT", "/api/CustomField/"+tierID, body), 409, protocol.CodeConflict, "step 2")
			body["name"], body["label"] = "CFtier", "Tier"
			wantError(t, f.call(t, f.admin, "PUT", "/api/CustomField/"+tierID, body), 409, protocol.CodeConflict, "relabel")
			wantError(t, f.call(t, f.admin, "DELETE", "/api/CustomField/"+tierID, nil), 409, protocol.CodeConflict, "step 2")
			// New choices are fine.
			body["label"] = "Customer Tier"
			body["choices"] = []map[string]string{{"value": "gold"}, {"value": "silver"}}
			up := must(t, f.call(t, f.admin, "PUT", "/api/CustomField/"+tierID, body), 200)
			if !strings.Contains(up.raw, "silver") {
				t.Errorf("updated %s", up.raw)
			}
			body["entity"] = "ticket"
			wantError(t, f.call(t, f.admin, "PUT", "/api/CustomField/"+tierID, body), 400, protocol.CodeInvalidRequest, "entity")
		})

		t.Run("an unused field can be renamed and deleted", func(t *testing.T) {
			x := must(t, f.call(t, f.admin, "POST", "/api/CustomField", map[string]any{"entity": "chat", "name": "CFx", "label": "X", "type": "number"}), 201)
			must(t, f.call(t, f.admin, "PUT", "/api/CustomField/"+x.path("id"), map[string]any{"name": "CFy", "label": "Y", "type": "date"}), 200)
			must(t, f.call(t, f.admin, "DELETE", "/api/CustomField/"+x.path("id"), nil), 204)
			wantError(t, f.call(t, f.admin, "GET", "/api/CustomField/"+x.path("id"), nil), 404, protocol.CodeNotFound, "")
			chat := must(t, f.call(t, f.admin, "GET", "/api/CustomField?entity=chat", nil), 200)
			if n := len(chat.body.([]any)); n != 1 {
				t.Errorf("%d chat fields", n)
			}
			wantError(t, f.call(t, f.admin, "GET", "/api/CustomField?entity=user", nil), 400, protocol.CodeInvalidRequest, "entity")
		})

		t.Run("ticket types with their fields", func(t *testing.T) {
			fs := must(t, f.call(t, f.admin, "GET", "/api/CustomField?entity=ticket", nil), 200).body.([]any)
			ticketField := fs[0].(map[string]any)["id"]
			notes := must(t, f.call(t, f.admin, "POST", "/api/CustomField", map[string]any{"entity": "ticket", "name": "CFnotes", "label": "Notes", "type": "text"}), 201)
			tt := must(t, f.call(t, f.admin, "POST", "/api/TicketType", fmt.Sprintf(`{"name":"Chat Request","fieldIds":[%s,%v]}`, notes.path("id"), ticketField)), 201)
			if tt.path("name") != "Chat Request" || !strings.Contains(tt.raw, `"CFnotes"`) || !strings.Contains(tt.raw, `"fieldIds":[`+notes.path("id")) {
				t.Errorf("created %s", tt.raw)
			}
			wantError(t, f.call(t, f.admin, "POST", "/api/TicketType", `{"name":"Other","fieldIds":[`+tierID+`]}`), 400, protocol.CodeInvalidRequest, "fieldIds[0]")
			wantError(t, f.call(t, f.admin, "POST", "/api/TicketType", `{"name":"Chat Request"}`), 409, protocol.CodeConflict, "name")
			wantError(t, f.call(t, f.admin, "POST", "/api/TicketType", `{"name":""}`), 400, protocol.CodeInvalidRequest, "name")
			types, _ := f.st.ListTicketTypes(context.Background())
			if len(types) != 1 {
				t.Errorf("%d ticket types after refusals", len(types))
			}
			up := must(t, f.call(t, f.admin, "PUT", "/api/TicketType/"+tt.path("id"), `{"name":"Chat","fieldIds":[]}`), 200)
			if up.path("name") != "Chat" || !strings.Contains(up.raw, `"fieldIds":[]`) {
				t.Errorf("updated %s", up.raw)
			}
			// A profile using it keeps it from being deleted.
			must(t, f.call(t, f.admin, "POST", "/api/ChatProfile", profileBody("uses type", func(m map[string]any) {
				m["ticketTypeId"] = up.body.(map[string]any)["id"]
			})), 201)
			wantError(t, f.call(t, f.admin, "DELETE", "/api/TicketType/"+tt.path("id"), nil), 409, protocol.CodeConflict, "still used")
			list := must(t, f.call(t, f.admin, "GET", "/api/TicketType", nil), 200)
			if len(list.body.([]any)) != 1 {
				t.Errorf("list %s", list.raw)
			}
		})
	})
}

func TestAPIClientAndAgentAPI(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dsn string) {
		f := newAPIFixture(t, dsn)
		token := func(clientID, secret string) int {
			res, err := http.PostForm(f.srv.URL+"/auth/token", url.Values{"grant_type": {"client_credentials"},
				"client_id": {clientID}, "client_secret": {secret}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}

		t.Run("API clients: the secret is shown once and stored hashed", func(t *testing.T) {
			c := must(t, f.call(t, f.admin, "POST", "/api/APIClient", map[string]any{"name": "CRM", "clientId": "crm", "permissions": []string{"users:write"}}), 201)
			sec := c.path("clientSecret")
			if len(sec) < 40 || c.path("clientId") != "crm" {
				t.Fatalf("created %s", c.raw)
			}
			stored, err := f.st.GetAPIClientByClientID(context.Background(), "crm")
			if err != nil || stored.SecretHash == sec || strings.Contains(stored.SecretHash, sec) {
				t.Fatalf("stored %+v %v", stored, err)
			}
			got := must(t, f.call(t, f.admin, "GET", "/api/APIClient/"+c.path("id"), nil), 200)
			list := must(t, f.call(t, f.admin, "GET", "/api/APIClient", nil), 200)
			if strings.Contains(got.raw, sec) || strings.Contains(list.raw, sec) || strings.Contains(got.raw, "ecret") {
				t.Errorf("the secret is shown again: %s", got.raw)
			}
			if code := token("crm", sec); code != 200 {
				t.Errorf("token with the new secret: %d", code)
			}
			rot := must(t, f.call(t, f.admin, "POST", "/api/APIClient/"+c.path("id")+"/secret", nil), 200)
			if token("crm", sec) != 401 || token("crm", rot.path("clientSecret")) != 200 {
				t.Errorf("after rotation the old secret still works or the new one does not")
			}
			wantError(t, f.call(t, f.admin, "POST", "/api/APIClient", map[string]any{"name": "x", "permissions": []string{"root"}}), 400, protocol.CodeInvalidRequest, "permissions[0]")
			wantError(t, f.call(t, f.admin, "POST", "/api/APIClient", map[string]any{"name": "x", "profileIds": []string{"nosuch"}}), 400, protocol.CodeInvalidRequest, "profileIds[0]")
			wantError(t, f.call(t, f.admin, "POST", "/api/APIClient", map[string]any{"name": ""}), 400, protocol.CodeInvalidRequest, "name")
			wantError(t, f.call(t, f.admin, "POST", "/api/APIClient", map[string]any{"name": "x", "clientId": "a b"}), 400, protocol.CodeInvalidRequest, "clientId")
			wantError(t, f.call(t, f.admin, "POST", "/api/APIClient", map[string]any{"name": "x", "clientId": "crm"}), 409, protocol.CodeConflict, "clientId")
			profileIDs := func(r reply) string { return fmt.Sprint(r.body.(map[string]any)["profileIds"]) }
			if profileIDs(c) != "[]" {
				t.Errorf("a client made without profileIds: %s, want [] (every profile)", c.raw)
			}
			shop := &store.ChatProfile{Name: "shop", Access: store.AccessPortalAndExternal}
			if err := f.st.CreateProfile(context.Background(), shop); err != nil {
				t.Fatal(err)
			}
			up := must(t, f.call(t, f.admin, "PUT", "/api/APIClient/"+c.path("id"), map[string]any{"name": "CRM 2", "permissions": []string{"admin", "users:write"},
				"disabled": true, "profileIds": []string{shop.ID, shop.ID}}), 200)
			if up.path("name") != "CRM 2" || up.path("disabled") != "true" || profileIDs(up) != "["+shop.ID+"]" {
				t.Errorf("updated %s", up.raw)
			}
			if stored, _ := f.st.GetAPIClientByClientID(context.Background(), "crm"); len(stored.ProfileIDs) != 1 || stored.ProfileIDs[0] != shop.ID {
				t.Errorf("stored profiles %v", stored.ProfileIDs)
			}
			wantError(t, f.call(t, f.adminClient, "PUT", "/api/APIClient/1", map[string]any{"name": "me", "permissions": []string{}}), 409, protocol.CodeConflict, "itself")
			must(t, f.call(t, f.admin, "DELETE", "/api/APIClient/"+c.path("id"), nil), 204)
			wantError(t, f.call(t, f.admin, "GET", "/api/APIClient/"+c.path("id"), nil), 404, protocol.CodeNotFound, "")
		})

		t.Run("agents: create with a password, log in, update, disable", func(t *testing.T) {
			a := must(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "New@Agent.test", "name": "Nia", "role": "agent", "password": "long enough password"}), 201)
			if a.path("email") != "new@agent.test" || strings.Contains(a.raw, "password") {
				t.Errorf("created %s", a.raw)
			}
			login := func(email, pass string) int {
				res, err := http.Post(f.srv.URL+"/auth/login", "application/json",
					strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, pass)))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if code := login("new@agent.test", "long enough password"); code != 200 {
				t.Errorf("login: %d", code)
			}
			wantError(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "x@agent.test", "name": "X", "role": "agent", "password": "short"}), 400, protocol.CodeInvalidRequest, "password")
			wantError(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "x@agent.test", "name": "X", "role": "agent"}), 400, protocol.CodeInvalidRequest, "password")
			wantError(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "nope", "name": "X", "role": "agent", "password": "long enough password"}), 400, protocol.CodeInvalidRequest, "email")
			wantError(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "x@agent.test", "name": "X", "role": "boss", "password": "long enough password"}), 400, protocol.CodeInvalidRequest, "role")
			wantError(t, f.call(t, f.admin, "POST", "/api/Agent", map[string]any{"email": "NEW@agent.test", "name": "X", "role": "agent", "password": "long enough password"}), 409, protocol.CodeConflict, "email")

			up := must(t, f.call(t, f.admin, "PUT", "/api/Agent/"+a.path("id"), map[string]any{"email": "new@agent.test", "name": "Nia B", "role": "admin", "password": "another long password"}), 200)
			if up.path("name") != "Nia B" || up.path("role") != "admin" {
				t.Errorf("updated %s", up.raw)
			}
			if login("new@agent.test", "long enough password") != 401 || login("new@agent.test", "another long password") != 200 {
				t.Errorf("the password was not replaced")
			}
			dis := must(t, f.call(t, f.admin, "DELETE", "/api/Agent/"+a.path("id"), nil), 200)
			if dis.path("disabled") != "true" || login("new@agent.test", "another long password") != 401 {
				t.Errorf("disabled %s, yet logs in", dis.raw)
			}
			// The fixture's admin is now the last enabled admin.
			self := fmt.Sprint(f.adminAgentID)
			wantError(t, f.call(t, f.adminClient, "DELETE", "/api/Agent/"+self, nil), 409, protocol.CodeConflict, "last enabled admin")
			wantError(t, f.call(t, f.adminClient, "PUT", "/api/Agent/"+self, map[string]any{"email": fixtureAdminEmail, "name": "A", "role": "agent"}), 409, protocol.CodeConflict, "last enabled admin")
			list := must(t, f.call(t, f.admin, "GET", "/api/Agent", nil), 200)
			if n := len(list.body.([]any)); n != 3 {
				t.Errorf("%d agents", n)
			}
		})
	})
}
