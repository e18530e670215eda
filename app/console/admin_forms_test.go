package console

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"halochat/app/flow"
	"halochat/app/protocol"
)

func TestFieldFormCheckNamesTheFieldsTheAPIWouldRefuse(t *testing.T) {
	tests := []struct {
		name string
		in   fieldForm
		want []string // fields with an error
	}{
		{"a text field", fieldForm{Name: "CFregion", Label: "Region", Type: "text"}, nil},
		{"a choice field", fieldForm{Name: "CFtier", Label: "Tier", Type: "choice", Choices: []string{"gold", "silver"}}, nil},
		{"no CF prefix", fieldForm{Name: "region", Label: "Region", Type: "text"}, []string{"name"}},
		{"CF alone", fieldForm{Name: "CF", Label: "Region", Type: "text"}, []string{"name"}},
		{"a space in the name", fieldForm{Name: "CFmy region", Label: "Region", Type: "text"}, []string{"name"}},
		{"a name too long", fieldForm{Name: "CF" + strings.Repeat("a", 63), Label: "Region", Type: "text"}, []string{"name"}},
		{"no label", fieldForm{Name: "CFregion", Label: " ", Type: "text"}, []string{"label"}},
		{"an unknown type", fieldForm{Name: "CFregion", Label: "Region", Type: "colour"}, []string{"type"}},
		{"a choice field without choices", fieldForm{Name: "CFtier", Label: "Tier", Type: "choice"}, []string{"choices"}},
		{"choices on a text field", fieldForm{Name: "CFtier", Label: "Tier", Type: "text", Choices: []string{"a"}}, []string{"choices"}},
		{"a choice twice", fieldForm{Name: "CFtier", Label: "Tier", Type: "choice", Choices: []string{"a", "b", "a"}}, []string{"choices"}},
		{"everything wrong", fieldForm{Type: "choice"}, []string{"choices", "label", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(maps.Keys(tt.in.check()))
			if !slices.Equal(got, tt.want) {
				t.Errorf("check(%+v) flags %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestAgentFormCheckNamesTheFieldsTheAPIWouldRefuse(t *testing.T) {
	ok := agentForm{Name: "Sam", Email: "sam@example.com", Role: "agent"}
	tests := []struct {
		name   string
		change func(f *agentForm)
		want   []string
	}{
		{"no new password", func(f *agentForm) {}, nil},
		{"a new password", func(f *agentForm) { f.Password = "ten chars!" }, nil},
		{"a short password", func(f *agentForm) { f.Password = "nine char" }, []string{"password"}},
		{"a password over bcrypt's limit", func(f *agentForm) { f.Password = strings.Repeat("é", 37) }, []string{"password"}},
		{"no name", func(f *agentForm) { f.Name = "" }, []string{"name"}},
		{"no @", func(f *agentForm) { f.Email = "sam.example.com" }, []string{"email"}},
		{"nothing before @", func(f *agentForm) { f.Email = "@example.com" }, []string{"email"}},
		{"nothing after @", func(f *agentForm) { f.Email = "sam@" }, []string{"email"}},
		{"a space", func(f *agentForm) { f.Email = "sam @example.com" }, []string{"email"}},
		{"an unknown role", func(f *agentForm) { f.Role = "owner" }, []string{"role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.change(&f)
			got := slices.Sorted(maps.Keys(f.check()))
			if !slices.Equal(got, tt.want) {
				t.Errorf("check(%+v) flags %v, want %v", f, got, tt.want)
			}
		})
	}
}

func TestChoicesOfKeepsTheLabelsOfChoicesKept(t *testing.T) {
	old := []flow.Choice{{Value: "gold", Label: "Gold tier"}, {Value: "silver", Label: ""}, {Value: "bronze", Label: "Bronze"}}
	got := choicesOf([]string{"silver", "gold", "platinum"}, old)
	want := []flow.Choice{{Value: "silver", Label: "silver"}, {Value: "gold", Label: "Gold tier"}, {Value: "platinum", Label: "platinum"}}
	if !slices.Equal(got, want) {
		t.Errorf("choicesOf = %+v, want %+v", got, want)
	}
	if got := choicesOf(nil, old); got == nil || len(got) != 0 {
		t.Errorf("choicesOf(nil) = %#v, want an empty list, never null", got)
	}
	if got := splitList(" a, ,b ,, c "); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("splitList = %q", got)
	}
}

func TestUserFormInputKeepsWhatTheFormDoesNotShow(t *testing.T) {
	listed := protocol.User{ID: 9, Email: "old@example.com", Username: "pat", FirstName: "Old", HasPassword: true}
	f := userForm{Email: "pat@example.com", FirstName: "Pat", LastName: "Lee", Phone: "+44 1", ExternalID: "x9", Password: "a long password"}
	got := f.input(listed, true)
	want := protocol.UserInput{User: protocol.User{ID: 9, Email: "pat@example.com", Username: "pat", FirstName: "Pat", LastName: "Lee",
		Phone: "+44 1", ExternalID: "x9", HasPassword: true, Disabled: true}, Password: "a long password"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("input = %+v, want %+v", got, want)
	}
}

func TestReadListTakesOneListOfTheAPIProperties(t *testing.T) {
	tests := []struct {
		name, text string
		want       []protocol.HMACSecret
		refused    bool
	}{
		{"empty", "", nil, false},
		{"a secret", `[{"kid":"k1","secret":"s"}]`, []protocol.HMACSecret{{KID: "k1", Secret: "s"}}, false},
		{"a misspelt property", `[{"kid":"k1","secert":"s"}]`, nil, true},
		{"no list", `{"kid":"k1","secret":"s"}`, nil, true},
		{"two lists", `[] []`, nil, true},
		{"a number for a string", `[{"kid":1}]`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []protocol.HMACSecret
			err := readList(tt.text, &got)
			if (err != nil) != tt.refused {
				t.Fatalf("readList(%s) error %v, want refused %v", tt.text, err, tt.refused)
			}
			if !tt.refused && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("readList(%s) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestRefusalReadsTheAPIsErrorBody(t *testing.T) {
	problems := []flow.Problem{{Step: 2, Field: "choice.options", Message: "needs an option"}, {Message: "no start step"}}
	tests := []struct {
		name         string
		body         any
		wantMessage  string
		wantField    string
		wantProblems []flow.Problem
	}{
		{"a field at fault", protocol.ErrorBody{Error: protocol.APIError{Code: protocol.CodeInvalidRequest,
			Message: "appearance.colour: \"blu\" is not a CSS colour"}}, "appearance.colour: \"blu\" is not a CSS colour", "appearance.colour", nil},
		{"a flow's problems", protocol.ErrorBody{Error: protocol.APIError{Code: protocol.CodeInvalidRequest, Message: "2 problems",
			Problems: problems}}, "2 problems", "", problems},
		{"no JSON", "<html>", "the service answered 502", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := tt.body.(string); ok {
				body = []byte(s)
			}
			e := refusal(502, body)
			if e.Error() != tt.wantMessage || e.field() != tt.wantField || !reflect.DeepEqual(e.Problems, tt.wantProblems) || e.Status != 502 {
				t.Errorf("refusal = %q field %q problems %+v status %d, want %q %q %+v", e.Error(), e.field(), e.Problems, e.Status,
					tt.wantMessage, tt.wantField, tt.wantProblems)
			}
		})
	}
}

func TestRetentionFieldTakesAPositiveWholeNumberOrNothing(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true}, // keep chats
		{"30", 30, true},
		{"1", 1, true},
		{"36501", 36501, true}, // the API checks the upper bound, and says so at the field
		{"0", 0, false},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"30 days", 0, false},
		{"thirty", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRetention(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseRetention(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tt.in) {
				t.Errorf("the error %q does not quote what was typed", err)
			}
		})
	}
}
