package identity_test

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"halochat/app/protocol"
	"halochat/backend/httpx"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// testChatFields are chat custom fields of every type. "Plan" is the label
// of CFplan and also the database name of nothing; CFlabelClash's label is
// "CFtier", another field's database name.
func testChatFields() []store.CustomField {
	return []store.CustomField{
		{ID: 1, Entity: store.EntityChat, Name: "CFtier", Label: "Customer Tier", Type: store.FieldChoice,
			Choices: store.Choices{{Value: "bronze"}, {Value: "gold"}}},
		{ID: 2, Entity: store.EntityChat, Name: "CFseats", Label: "Seats", Type: store.FieldNumber},
		{ID: 3, Entity: store.EntityChat, Name: "CFvip", Label: "VIP", Type: store.FieldBoolean},
		{ID: 4, Entity: store.EntityChat, Name: "CFrenewal", Label: "Renewal date", Type: store.FieldDate},
		{ID: 5, Entity: store.EntityChat, Name: "CFaccount", Label: "Account Number", Type: store.FieldText},
		{ID: 6, Entity: store.EntityChat, Name: "CFlabelClash", Label: "CFtier", Type: store.FieldText},
	}
}

var testMappings = store.TokenMappings{"given_name": "firstname", "family_name": "lastName", "sub": "externalid",
	"mail": "email", "nick": "user_name", "tel": "phone", "bogus": "shoeSize"}

func rawClaims(t testing.TB, js string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fieldValues(m *identity.Mapped) map[string]string {
	out := map[string]string{}
	for _, f := range m.ChatFields {
		out[f.Name] = f.Value
	}
	return out
}

func TestMapClaims(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims string
		user   map[string]string
		fields map[string]string
	}{
		{"mappings fill user fields; unknown targets and claims are ignored",
			`{"given_name":"Ann","family_name":"Lee","sub":42,"mail":" Ann@Example.COM ","nick":"ann","tel":"+44 1","bogus":"x","other":1}`,
			map[string]string{"firstname": "Ann", "lastname": "Lee", "externalid": "42", "email": "ann@example.com", "username": "ann", "phone": "+44 1"},
			map[string]string{}},
		{"a claim named like a user field fills it when no mapping did (Halo's example)",
			`{"firstname":"John","lastname":"Smith","given_name":"Johnny","emailaddress":"x"}`,
			map[string]string{"firstname": "Johnny", "lastname": "Smith"}, map[string]string{}},
		{"custom fields by database name and by label",
			`{"CFtier":"gold","Seats":"12","VIP":true,"CFrenewal":"2027-01-31","Account Number":12345}`,
			map[string]string{},
			map[string]string{"CFtier": "gold", "CFseats": "12", "CFvip": "true", "CFrenewal": "2027-01-31", "CFaccount": "12345", "CFlabelClash": "gold"}},
		{"the database name wins over the label",
			`{"CFaccount":"by-name","Account Number":"by-label"}`, nil, map[string]string{"CFaccount": "by-name"}},
		{"numbers as JSON numbers, booleans as text, instants in UTC",
			`{"CFseats":1.50,"CFvip":"false","CFrenewal":"2027-01-31T10:00:00+02:00"}`, nil,
			map[string]string{"CFseats": "1.5", "CFvip": "false", "CFrenewal": "2027-01-31T08:00:00Z"}},
		{"null leaves a field unset; names are case-sensitive",
			`{"CFseats":null,"cftier":"gold","customer tier":"gold"}`, nil, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := identity.MapClaims(rawClaims(t, tc.claims), testMappings, testChatFields())
			if err != nil {
				t.Fatal(err)
			}
			if tc.user != nil && !maps.Equal(m.User, tc.user) {
				t.Errorf("user = %v, want %v", m.User, tc.user)
			}
			if got := fieldValues(m); !maps.Equal(got, tc.fields) {
				t.Errorf("chat fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestMapClaimsRefusesValuesThatDoNotFit(t *testing.T) {
	for _, tc := range []struct {
		claims, field, says string
	}{
		{`{"CFtier":"platinum"}`, "CFtier", "not one of its choices"},
		{`{"Customer Tier":"platinum"}`, "CFtier", `from claim "Customer Tier"`},
		{`{"CFseats":"twelve"}`, "CFseats", "CFseats"},
		{`{"Seats":true}`, "CFseats", "not a number"},
		{`{"CFvip":"yes"}`, "CFvip", "not true or false"},
		{`{"CFrenewal":"31/01/2027"}`, "CFrenewal", "CFrenewal"},
		{`{"CFaccount":{"a":1}}`, "CFaccount", "object"},
		{`{"CFaccount":"` + strings.Repeat("x", identity.MaxChatFieldLen+1) + `"}`, "CFaccount", "longer than"},
		{`{"mail":"not an address"}`, "mail", "not an e-mail address"},
		{`{"given_name":["a"]}`, "given_name", "array"},
	} {
		_, err := identity.MapClaims(rawClaims(t, tc.claims), testMappings, testChatFields())
		var ie *protocol.APIError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v, want *protocol.APIError", tc.claims[:min(len(tc.claims), 40)], err)
			continue
		}
		if httpx.Status(ie) != 422 || ie.Code != "invalid_token" || ie.Field != tc.field || !strings.Contains(ie.Message, tc.says) {
			t.Errorf("%s: got %d %s field %q %q; want 422 invalid_token field %q saying %q",
				tc.claims[:min(len(tc.claims), 40)], httpx.Status(ie), ie.Code, ie.Field, ie.Message, tc.field, tc.says)
		}
	}
}

func TestMapClaimsWithoutChatFieldsIgnoresCustomFieldClaims(t *testing.T) {
	m, err := identity.MapClaims(rawClaims(t, `{"CFtier":"platinum","sub":"x"}`), testMappings, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ChatFields) != 0 || m.User["externalid"] != "x" {
		t.Errorf("mapped %+v", m)
	}
}

func TestUserField(t *testing.T) {
	for in, want := range map[string]string{"firstName": "firstname", "First Name": "firstname", "external_id": "externalid",
		"EMAIL": "email", "phone": "phone", "user-name": "username", "shoe": "", "": ""} {
		got, ok := identity.UserField(in)
		if got != want || ok != (want != "") {
			t.Errorf("UserField(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// FuzzMapClaims maps arbitrary claim objects: it never panics, refuses
// only with a 422 *Error naming a claim or field, and whatever it accepts
// is canonical (a chat field value parses back to itself; an e-mail is an
// address; nothing holds NUL or invalid UTF-8).
func FuzzMapClaims(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"given_name":"Ann","sub":"1","mail":"a@b.example"}`,
		`{"CFtier":"gold","Seats":"12","VIP":true,"CFrenewal":"2027-01-31","Account Number":12345}`,
		`{"CFseats":1e400}`, `{"CFseats":"-0"}`, `{"CFrenewal":"2027-02-30"}`, `{"CFtier":""}`,
		`{"CFaccount":"\u0000"}`, `{"firstname":"\ud800"}`, `{"CFtier":"gold","Customer Tier":"bronze"}`,
		`{"mail":"\"a b\"@example.com"}`, `{"CFvip":"TRUE "}`, `{"CFrenewal":"2027-01-31T25:00:00Z"}`,
	} {
		f.Add(seed)
	}
	fields := testChatFields()
	f.Fuzz(func(t *testing.T, js string) {
		var claims map[string]json.RawMessage
		if json.Unmarshal([]byte(js), &claims) != nil {
			return
		}
		m, err := identity.MapClaims(claims, testMappings, fields)
		if err != nil {
			var ie *protocol.APIError
			if !errors.As(err, &ie) || httpx.Status(ie) != 422 || ie.Field == "" {
				t.Fatalf("refusal %v (%T) is not a 422 *protocol.APIError naming a field", err, err)
			}
			return
		}
		for k, v := range m.User {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Errorf("user field %s = %q", k, v)
			}
			if k == "email" && !identity.ValidEmail(v) {
				t.Errorf("email %q is not valid", v)
			}
		}
		for _, cv := range m.ChatFields {
			var def store.CustomField
			for _, d := range fields {
				if d.ID == cv.FieldID {
					def = d
				}
			}
			again, err := def.FieldDef().Parse(cv.Value)
			if err != nil || again.String() != cv.Value {
				t.Errorf("field %s value %q does not parse back to itself: %q %v", cv.Name, cv.Value, again.String(), err)
			}
			if strings.ContainsRune(cv.Value, 0) || !utf8.ValidString(cv.Value) {
				t.Errorf("field %s value %q", cv.Name, cv.Value)
			}
		}
	})
}
