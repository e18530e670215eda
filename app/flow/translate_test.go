package flow

import (
	"reflect"
	"strings"
	"testing"
)

// translatedFlow greets, asks for a choice and a number, each text with a
// German translation; the flow's own texts are English.
func translatedFlow() *Flow {
	f := flowOf(
		Step{Number: 1, Kind: KindMessage, Text: "Hi {{firstname|there}}!", Texts: map[string]string{"de": "Hallo {{firstname|du}}!"}, Next: 2},
		Step{Number: 2, Kind: KindChoice, Text: "Pick one", Texts: map[string]string{"de": "Wähle"}, Choice: &ChoiceStep{Variable: "topic",
			Options: []Option{{Label: "Sales", Labels: map[string]string{"de": "Verkauf"}, Next: 3}, {Label: "Help", Next: 3}}}},
		Step{Number: 3, Kind: KindQuestion, Text: "How many?", Texts: map[string]string{"de": "Wie viele?"}, Next: 4,
			Question: &Question{Variable: "n", Validation: Validation{Type: ValidateNumber},
				ErrorText: "A number, please.", ErrorTexts: map[string]string{"de": "Bitte eine Zahl."}}},
		Step{Number: 4, Kind: KindEnd, Text: "Bye", Texts: map[string]string{"de": "Tschüss"}},
	)
	f.DefaultLanguage = "en"
	return f
}

// TestTranslatedTexts: a chat in a language a step has a translation for
// reads it (placeholders filled in as in the text); any other language
// reads the flow's default texts; a choice's variable holds the default
// label whichever label was chosen.
func TestTranslatedTexts(t *testing.T) {
	tests := []struct {
		name     string
		lang     string
		choose   Input
		texts    []string // every shown text, in order
		choices  []string
		variable string
	}{
		{"German", "de", ChooseLabel("verkauf"),
			[]string{"Hallo du!", "Wähle", "Wie viele?", "Bitte eine Zahl.", "Wie viele?", "Tschüss"}, []string{"Verkauf", "Help"}, "Sales"},
		{"German, the untranslated option by its own label", "de", ChooseLabel("Help"),
			[]string{"Hallo du!", "Wähle", "Wie viele?", "Bitte eine Zahl.", "Wie viele?", "Tschüss"}, []string{"Verkauf", "Help"}, "Help"},
		{"French: no translation, the default texts", "fr", ChooseIndex(0),
			[]string{"Hi there!", "Pick one", "How many?", "A number, please.", "How many?", "Bye"}, []string{"Sales", "Help"}, "Sales"},
		{"no language: the default texts", "", ChooseLabel("Sales"),
			[]string{"Hi there!", "Pick one", "How many?", "A number, please.", "How many?", "Bye"}, []string{"Sales", "Help"}, "Sales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, translatedFlow())
			env := Env{Language: tt.lang}
			var shown []string
			var choices []string
			st := State{}
			for _, in := range []Input{Start(0, false), tt.choose, Answer("many"), Answer("3")} {
				next, outs, err := p.Run(env, st, in)
				if err != nil {
					t.Fatalf("%s: %v", in.Kind, err)
				}
				for _, o := range outs {
					switch o.Kind {
					case OutMessage, OutInvalidAnswer:
						shown = append(shown, o.Text)
					case OutChoices:
						choices = o.Choices
					}
				}
				st = next
				if in.Kind == InputStart {
					if pend := p.Pending(env, st); len(pend) != 2 || !reflect.DeepEqual(pend[1].Choices, tt.choices) {
						t.Errorf("Pending %+v, want the choices %q", pend, tt.choices)
					}
				}
			}
			if !reflect.DeepEqual(shown, tt.texts) {
				t.Errorf("shown %q\nwant  %q", shown, tt.texts)
			}
			if !reflect.DeepEqual(choices, tt.choices) {
				t.Errorf("choices %q, want %q", choices, tt.choices)
			}
			if got := st.Vars["topic"].String(); got != tt.variable {
				t.Errorf("topic = %q, want %q", got, tt.variable)
			}
		})
	}
}

func TestTranslationsAreValidated(t *testing.T) {
	long := strings.Repeat("x", MaxTextLength+1)
	tests := []problemCase{
		{"an unknown default language", func(f *Flow) { f.DefaultLanguage = "klingon" }, 0, "defaultLanguage", `"klingon" is not one of en, de`},
		{"a language outside the catalogue", func(f *Flow) { f.Steps[0].Texts["it"] = "Ciao" }, 1, "texts.it", `"it" is not one of the languages`},
		{"a region", func(f *Flow) { f.Steps[0].Texts["de-AT"] = "Servus" }, 1, "texts.de-AT", "is not one of the languages"},
		{"into the default language", func(f *Flow) { f.Steps[0].Texts["en"] = "Hello" }, 1, "texts.en", "is the flow's default language"},
		{"into another default language", func(f *Flow) { f.DefaultLanguage = "de" }, 1, "texts.de", "is the flow's default language"},
		{"empty", func(f *Flow) { f.Steps[3].Texts["de"] = "  " }, 4, "texts.de", "the translation is empty"},
		{"too long", func(f *Flow) { f.Steps[3].Texts["de"] = long }, 4, "texts.de", "longer than"},
		{"of no text", func(f *Flow) { f.Steps[3].Text = "" }, 4, "texts", "translations of an empty text"},
		{"of no error text", func(f *Flow) { f.Steps[2].Question.ErrorText = "" }, 3, "question.errorTexts", "translations of an empty text"},
		{"an error text's", func(f *Flow) { f.Steps[2].Question.ErrorTexts["xx"] = "?" }, 3, "question.errorTexts.xx", "is not one of"},
		{"a label too long", func(f *Flow) { f.Steps[1].Choice.Options[0].Labels["de"] = long }, 2, "choice.options[0].labels.de", "longer than"},
		{"a label repeated in its language", func(f *Flow) { f.Steps[1].Choice.Options[1].Labels = map[string]string{"de": "VERKAUF"} }, 2,
			"choice.options[1].labels.de", `repeats option 0's in de`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := translatedFlow()
			tt.change(f)
			wantProblem(t, f.Validate(Schema{}), tt.step, tt.field, tt.msg)
		})
	}
}

func TestTranslationsRoundTrip(t *testing.T) {
	f := translatedFlow()
	doc, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"defaultLanguage": "en"`, `"texts": {`, `"errorTexts": {`, `"labels": {`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the document lacks %s:\n%s", want, doc)
		}
	}
	back, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, f) {
		t.Errorf("re-parsed %+v, want %+v", back, f)
	}
	c := f.Clone()
	c.Steps[0].Texts["de"] = "changed"
	c.Steps[1].Choice.Options[0].Labels["de"] = "changed"
	c.Steps[2].Question.ErrorTexts["de"] = "changed"
	if f.Steps[0].Texts["de"] == "changed" || f.Steps[1].Choice.Options[0].Labels["de"] == "changed" || f.Steps[2].Question.ErrorTexts["de"] == "changed" {
		t.Error("a clone shares its translations with the original")
	}
	if _, err := Parse([]byte(`{"name":"x","startStep":1,"nextStepNumber":2,"steps":[{"number":1,"kind":"end","text":"a","texts":{"de":"b","DE":"c"}}]}`)); err == nil {
		t.Error("translations into de twice (keys differing in case) were accepted")
	}
}
