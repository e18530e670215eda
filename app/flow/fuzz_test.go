package flow

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics, and whatever it accepts re-encodes and
// re-parses to an equal flow (and the same bytes), compiles or is refused
// cleanly, and runs a few inputs without panicking.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("testdata/example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		doc, err := Marshal(genFlow(r))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"steps":[]}`, `{"name":"x","startStep":1,"nextStepNumber":2,"steps":[{"number":1,"kind":"end"}]} x`,
		`{"name":"x","startStep":1,"nextStepNumber":2,"steps":[{"number":1,"kind":"message","text":"hi","next":1}]}`,
		`{"name":"x","startStep":1,"nextStepNumber":3,"steps":[{"number":1,"kind":"question","text":"q","next":2,"question":{"variable":"v","validation":{"type":"number","min":-0,"max":1e308}}},{"number":2,"kind":"end"}]}`,
		`{"name":"x","defaultLanguage":"de","startStep":1,"nextStepNumber":3,"steps":[{"number":1,"kind":"choice","text":"Wähle","texts":{"en":"Pick","ar":"اختر"},"choice":{"variable":"v","options":[{"label":"Ja","labels":{"en":"Yes"},"next":2}]}},{"number":2,"kind":"question","text":"q","texts":{"fr":"q?"},"next":1,"question":{"variable":"w","validation":{},"errorText":"e","errorTexts":{"nl":"f"}}}]}`,
		`{"name":"x","defaultLanguage":"xx","startStep":1,"nextStepNumber":2,"steps":[{"number":1,"kind":"end","texts":{"de":""}}]}`,
		`{"name":"\xff","startStep":1,"nextStepNumber":2,"steps":[{"number":1,"kind":"end","text":"\u0000"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse(data)
		if err != nil {
			return
		}
		doc, err := Marshal(fl)
		if err != nil {
			t.Fatalf("Marshal of an accepted flow: %v", err)
		}
		again, err := Parse(doc)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, doc)
		}
		if !reflect.DeepEqual(fl, again) {
			t.Fatalf("re-parse differs:\n%#v\n%#v", fl, again)
		}
		doc2, _ := Marshal(again)
		if !bytes.Equal(doc, doc2) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", doc, doc2)
		}
		_ = fl.Warnings(testSchema())
		p, err := Compile(fl, testSchema())
		if err != nil {
			return
		}
		// In the default language and in translations (the texts in
		// another language may be any).
		for _, env := range []Env{{}, {Language: "de"}, {Language: "en"}} {
			st, _, err := p.Run(env, State{}, Start(0, false))
			if err != nil {
				return
			}
			for _, in := range []Input{Answer("42"), ChooseLabel("yes"), ChooseIndex(0), RunbookResult(true, []byte(`{"a":[1]}`)), TicketCreated("t"), Agent(AgentUnavailable)} {
				if next, _, err := p.Run(env, st, in); err == nil {
					st = next
				}
			}
		}
	})
}

// FuzzParseValue: a parsed value's canonical form parses back to the same
// value, through text and through JSON; JSON conversion never panics, and
// its fast path (simpleJSON) agrees with the decoder.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"", "0", "-0", "1e400", "3.50", "true", "FALSE", "2024-02-29", "2024-02-29T10:00:00.5+02:00", "0001-01-01", "9999-12-31T23:59:59Z", `"x"`, `{"a":1}`, ` "a\u00e9" `, `"\xff"`, `-`, `01`, `1.`, `1e5 `, `"tab\there"`, `nul`, `"`} {
		for t := range 5 {
			f.Add(uint8(t), s)
		}
	}
	types := []Type{TypeText, TypeNumber, TypeBoolean, TypeDate, TypeChoice}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		typ := types[int(which)%len(types)]
		got, gotErr := ValueFromJSON(typ, json.RawMessage(s))
		want, wantErr := valueFromJSONDecoder(typ, json.RawMessage(s))
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("ValueFromJSON(%s, %q) = %#v, %v; the decoder gives %#v, %v", typ, s, got, gotErr, want, wantErr)
		}
		v, err := ParseValue(typ, s)
		if err != nil {
			return
		}
		again, err := ParseValue(typ, v.String())
		if err != nil || again != v {
			t.Fatalf("ParseValue(%s, %q) = %#v; its form %q parses to %#v, %v", typ, s, v, v.String(), again, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back Value
		if err := json.Unmarshal(b, &back); err != nil || back != v {
			t.Fatalf("JSON %s: %#v, %v", b, back, err)
		}
		c := criterion{typ: typ, op: OpEquals, code: codeEquals, val: v, lower: toLower(v.s)}
		if !v.IsEmpty() && !c.eval(v) {
			t.Fatalf("%#v does not equal itself", v)
		}
	})
}

// FuzzRunExample drives the example flow with arbitrary inputs: Run never
// panics, refused inputs leave the state as it was, and every state
// round-trips through JSON.
func FuzzRunExample(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, "jane@example.com")
	f.Add([]byte{9, 9, 3, 3, 3}, "")
	p := mustCompile(f, exampleFlow(f))
	f.Fuzz(func(t *testing.T, script []byte, text string) {
		env := Env{User: map[string]string{"firstname": text}, Chat: map[string]Value{"CFcustomerTier": NewText(text)}}
		var st State
		for i, b := range script {
			var in Input
			switch b % 10 {
			case 0:
				in = Start(int(b/10)%12, b&1 == 1)
			case 1:
				in = Answer(text)
			case 2:
				in = ChooseIndex(int(b/10) - 3)
			case 3:
				in = ChooseLabel(text)
			case 4:
				in = RunbookResult(b&16 != 0, []byte(text))
			case 5:
				in = TicketCreated(text)
			case 6:
				in = Agent(AgentEvent(text))
			case 7:
				in = Agent([]AgentEvent{AgentAccepted, AgentUnavailable, AgentEnded}[int(b/10)%3])
			case 8:
				in = End()
			default:
				in = Input{Kind: InputKind(text)}
			}
			next, _, err := p.Run(env, st, in)
			if err != nil {
				if !reflect.DeepEqual(next, st) {
					t.Fatalf("input %d refused but the state changed", i)
				}
				continue
			}
			roundTrip(t, next)
			st = next
		}
	})
}

func toLower(s string) string { return string(bytes.ToLower([]byte(s))) }

// FuzzInterpolate: rendering any text, with values missing or present,
// never panics, and leaves text without placeholders as it is.
func FuzzInterpolate(f *testing.F) {
	for _, s := range []string{"", "Hi {{firstname|there}}! Welcome", "{{", "}}{{", "{{|}}", "{{ user.firstname }} {{x}}",
		" {{var.a}} ", "\n{{lastname}} a", "{{{{firstname}}}}", "a {{ticket.id|–}} b"} {
		f.Add(s)
	}
	p, err := Compile(flowOf(end(1, "")), Schema{})
	if err != nil {
		f.Fatal(err)
	}
	full := Env{User: map[string]string{UserFirstName: "Ann", UserLastName: "Lee"}}
	f.Fuzz(func(t *testing.T, s string) {
		got := p.interpolate(s, &Env{}, &State{})
		if !bytes.Contains([]byte(s), []byte("{{")) && got != s {
			t.Fatalf("interpolate(%q) = %q: text without placeholders changed", s, got)
		}
		_ = p.interpolate(s, &full, &State{TicketID: "T1"})
	})
}
