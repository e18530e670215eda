package flow

import (
	"strings"
	"testing"
)

func TestCheckRunbookOutputs(t *testing.T) {
	ok := RunbookOutput{Path: "data.tier", Variable: "tier", Type: TypeText}
	for _, tt := range []struct {
		name  string
		outs  []RunbookOutput
		field string // the first problem's; "" for none
	}{
		{"none", nil, ""},
		{"one", []RunbookOutput{ok}, ""},
		{"bad path", []RunbookOutput{ok, {Path: "a..b", Variable: "x", Type: TypeText}}, "outputs[1].path"},
		{"no variable", []RunbookOutput{{Path: "a", Type: TypeText}}, "outputs[0].variable"},
		{"bad type", []RunbookOutput{{Path: "a", Variable: "x", Type: "colour"}}, "outputs[0].type"},
		{"variable twice", []RunbookOutput{ok, ok}, "outputs[1].variable"},
		{"too many", make([]RunbookOutput, MaxOutputs+1), "outputs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			probs := CheckRunbookOutputs(tt.outs)
			got := ""
			if len(probs) > 0 {
				got = probs[0].Field
			}
			if got != tt.field {
				t.Errorf("first problem at %q (%v), want %q", got, probs, tt.field)
			}
		})
	}
}

func TestMapRunbookAnswer(t *testing.T) {
	outs := []RunbookOutput{{Path: "data.tier", Variable: "tier", Type: TypeText}, {Path: "items[1].n", Variable: "n", Type: TypeNumber}}
	for _, tt := range []struct {
		name, body, want, err string
	}{
		{name: "both", body: `{"data": {"tier": "gold"}, "items": [{}, {"n": 3}]}`, want: "gold 3"},
		{name: "missing", body: `{"data": {}}`, err: "data.tier: missing"},
		{name: "wrong type", body: `{"data": {"tier": "gold"}, "items": [{}, {"n": "x"}]}`, err: "items[1].n"},
		{name: "not JSON", body: `<html>`, err: "not JSON"},
		{name: "trailing data", body: `{"data": {"tier": "gold"}, "items": [{}, {"n": 3}]} {}`, err: "data after"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := MapRunbookAnswer(outs, []byte(tt.body))
			var got []string
			for _, v := range vals {
				got = append(got, v.String())
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Errorf("MapRunbookAnswer = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// FuzzMapRunbookAnswer: any answer maps to every output or to an error,
// never to part of them.
func FuzzMapRunbookAnswer(f *testing.F) {
	outs := []RunbookOutput{{Path: "data.tier", Variable: "tier", Type: TypeText}, {Path: "items[0]", Variable: "n", Type: TypeNumber},
		{Path: "ok", Variable: "ok", Type: TypeBoolean}, {Path: "when", Variable: "when", Type: TypeDate}}
	for _, s := range []string{`{"data":{"tier":"gold"},"items":[3],"ok":true,"when":"2026-01-02"}`, `{}`, `[]`, `"x"`, `{"items":[1e400]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		vals, err := MapRunbookAnswer(outs, body)
		if (err == nil) != (len(vals) == len(outs)) {
			t.Errorf("%q: %d values and error %v", body, len(vals), err)
		}
	})
}
