package chats

import (
	"testing"

	"halochat/app/i18n"
)

// TestMatcherAgreesWithThePick: the server's matcher (x/text) and the
// widget's (i18n.Pick, by hand) choose the same language for the tags
// browsers send, so that the window and its chat speak alike.
func TestMatcherAgreesWithThePick(t *testing.T) {
	ls := newLanguages()
	for _, prefs := range [][]string{
		{"en-US", "en"}, {"de-DE", "de", "en"}, {"de-CH"}, {"fr-CA", "en"}, {"es-419"}, {"es-ES"}, {"pt-BR", "pt"},
		{"pt-PT"}, {"nl-BE"}, {"nl"}, {"ar-EG"}, {"ar"}, {"zh-CN", "de"}, {"ja", "ko"}, {"it-IT", "fr"}, {"ru"}, {},
	} {
		want := i18n.Pick(prefs, i18n.Dutch)
		if got := ls.match(prefs, "", i18n.Dutch); got != want {
			t.Errorf("for %q the server picks %s, the widget %s", prefs, got, want)
		}
	}
}

// FuzzLanguages: whatever a browser sends as its languages and
// Accept-Language, the choice is one of the catalogue's.
func FuzzLanguages(f *testing.F) {
	f.Add("de-AT", "fr;q=0.5, *")
	f.Add("", "zh-Hant-TW;q=0.9")
	f.Add("x-private", ";;;q=")
	ls := newLanguages()
	f.Fuzz(func(t *testing.T, tag, accept string) {
		if got := ls.match([]string{tag}, accept, i18n.English); !i18n.Valid(string(got)) {
			t.Fatalf("match(%q, %q) = %q: not a catalogue language", tag, accept, got)
		}
	})
}
