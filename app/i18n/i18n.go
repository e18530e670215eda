// Package i18n is the message catalogue the visitor widget and the
// server share: every text the widget shows and every system message the
// server writes into a chat, in English, German, French, Spanish,
// Portuguese, Dutch and Arabic.
//
// The tables are plain arrays of strings indexed by Key (static data in
// the widget's wasm: no maps to build at start, no library). Texts with
// placeholders are fmt formats; every language has the same verbs as
// English (checked by the tests).
package i18n

import (
	"fmt"
	"strings"
)

// Lang is a language code of the catalogue (ISO 639-1).
type Lang string

// The catalogue's languages.
const (
	English    Lang = "en"
	German     Lang = "de"
	French     Lang = "fr"
	Spanish    Lang = "es"
	Portuguese Lang = "pt"
	Dutch      Lang = "nl"
	Arabic     Lang = "ar"
)

// Auto is the profile setting that picks the visitor's language: the
// browser's preferred languages, then the profile's default language.
const Auto = "auto"

// Default is the language of a profile or flow that names none.
const Default = English

// Languages lists the catalogue's languages in a stable order (English
// first).
func Languages() []Lang {
	return []Lang{English, German, French, Spanish, Portuguese, Dutch, Arabic}
}

// List names the catalogue's languages for a message: "en, de, …".
func List() string {
	var b strings.Builder
	for i, l := range Languages() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(l))
	}
	return b.String()
}

// Name is the language's name in itself (for pickers).
func (l Lang) Name() string {
	switch l {
	case English:
		return "English"
	case German:
		return "Deutsch"
	case French:
		return "Français"
	case Spanish:
		return "Español"
	case Portuguese:
		return "Português"
	case Dutch:
		return "Nederlands"
	case Arabic:
		return "العربية"
	}
	return string(l)
}

// Valid reports whether code is one of the catalogue's languages
// (exactly: lower case, no region).
func Valid(code string) bool {
	return tableOf(Lang(code)) != nil
}

// Or is l when valid, else fallback.
func (l Lang) Or(fallback Lang) Lang {
	if Valid(string(l)) {
		return l
	}
	return fallback
}

// Dir is the writing direction of l: "rtl" for Arabic, "ltr" otherwise
// (the value of the HTML dir attribute).
func (l Lang) Dir() string {
	if l == Arabic {
		return "rtl"
	}
	return "ltr"
}

// T is key's text in l (English for a language outside the catalogue).
func T(l Lang, key Key) string {
	if key >= firstSystem {
		t := systemOf(l)
		if t == nil || t[key] == "" {
			t = &enSystem
		}
		return t[key]
	}
	return WidgetT(l, key)
}

// WidgetT is T for the texts the widget shows: every key before the
// server's system messages ("" for those). The widget calls it rather
// than T, so that its wasm links none of the system messages' tables
// (7 languages of them: 4.9 KB brotli).
func WidgetT(l Lang, key Key) string {
	if key >= firstSystem {
		return ""
	}
	t := tableOf(l)
	if t == nil || t[key] == "" {
		t = &en
	}
	return t[key]
}

// F is key's text in l formatted with args (fmt.Sprintf).
func F(l Lang, key Key, args ...any) string {
	return fmt.Sprintf(T(l, key), args...)
}

// The tables of each language, in the order of Languages: the widget's
// texts, and apart the server's system messages (see WidgetT).
var (
	widgetTables = [...]*[KeyCount]string{&en, &de, &fr, &es, &pt, &nl, &ar}
	systemTables = [...]*[KeyCount]string{&enSystem, &deSystem, &frSystem, &esSystem, &ptSystem, &nlSystem, &arSystem}
)

// index is l's place in Languages(), or -1 for a language outside the
// catalogue.
func (l Lang) index() int {
	switch l {
	case English:
		return 0
	case German:
		return 1
	case French:
		return 2
	case Spanish:
		return 3
	case Portuguese:
		return 4
	case Dutch:
		return 5
	case Arabic:
		return 6
	}
	return -1
}

func tableOf(l Lang) *[KeyCount]string {
	if i := l.index(); i >= 0 {
		return widgetTables[i]
	}
	return nil
}

func systemOf(l Lang) *[KeyCount]string {
	if i := l.index(); i >= 0 {
		return systemTables[i]
	}
	return nil
}

// Pick is the first of the browser's preferred languages (BCP 47 tags as
// navigator.languages or Accept-Language name them, best first) whose
// primary language the catalogue has — "pt-BR" picks Portuguese — or
// fallback when none has. It is the widget's matcher (no library, to keep
// the wasm small); the server matches Accept-Language with
// golang.org/x/text/language and agrees with Pick on such tags.
func Pick(prefs []string, fallback Lang) Lang {
	for _, p := range prefs {
		p = strings.TrimSpace(p)
		if i := strings.IndexAny(p, "-_;"); i >= 0 {
			p = p[:i]
		}
		if l := Lang(strings.ToLower(p)); Valid(string(l)) {
			return l
		}
	}
	return fallback
}

// Choose is the language a profile's setting gives a visitor whose
// browser prefers prefs: the setting when it names a language, else
// (Auto) Pick with the profile's default language.
func Choose(setting, defaultLanguage string, prefs []string) Lang {
	if Valid(setting) {
		return Lang(setting)
	}
	return Pick(prefs, Lang(defaultLanguage).Or(Default))
}
