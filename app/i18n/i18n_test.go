package i18n_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"halochat/app/flow"
	"halochat/app/i18n"
)

// lastKey is the last key declared.
const lastKey = i18n.KeyCount - 1

func TestEveryLanguageHasEveryKey(t *testing.T) {
	for _, l := range i18n.Languages() {
		for k := i18n.Key(0); k <= lastKey; k++ {
			text := i18n.T(l, k)
			if strings.TrimSpace(text) == "" {
				t.Errorf("%s: key %d (%q in English) has no text", l, k, i18n.T(i18n.English, k))
			}
			if l != i18n.English && i18n.T(i18n.English, k) == "" {
				t.Errorf("key %d has no English text", k)
			}
		}
	}
}

func TestTranslationsAreTranslated(t *testing.T) {
	// A text copied from English is a translation forgotten, except
	// where the word is the same (Chat, Ticket, %d of %d…).
	same := map[string]bool{"Chat": true, "Send": false}
	for _, l := range i18n.Languages()[1:] {
		n := 0
		for k := i18n.Key(0); k <= lastKey; k++ {
			if e := i18n.T(i18n.English, k); i18n.T(l, k) == e && !same[e] && !strings.HasPrefix(e, "%") {
				n++
				t.Logf("%s: key %d is the English %q", l, k, e)
			}
		}
		if n > 2 {
			t.Errorf("%s: %d texts are still English", l, n)
		}
	}
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs lists the fmt verbs of a format, each with the argument it takes
// (explicit indexes let a translation reorder them), sorted.
func verbs(format string) []string {
	var out []string
	next := 1
	for _, m := range verb.FindAllStringSubmatch(format, -1) {
		v := m[0]
		if strings.HasSuffix(v, "%") {
			out = append(out, "%%")
			continue
		}
		arg := next
		if m[1] != "" {
			arg = int(m[1][1] - '0')
			v = strings.Replace(v, m[1], "", 1)
		}
		next = arg + 1
		out = append(out, string(rune('0'+arg))+v)
	}
	slices.Sort(out)
	return out
}

func TestPlaceholdersMatchEnglish(t *testing.T) {
	for k := i18n.Key(0); k <= lastKey; k++ {
		want := verbs(i18n.T(i18n.English, k))
		for _, l := range i18n.Languages()[1:] {
			if got := verbs(i18n.T(l, k)); !slices.Equal(got, want) {
				t.Errorf("%s: key %d %q has placeholders %v, English %q has %v", l, k, i18n.T(l, k), got, i18n.T(i18n.English, k), want)
			}
		}
	}
}

func TestVerbsSeeReordering(t *testing.T) {
	if a, b := verbs("%s was not sent: %s"), verbs("%[2]s: %[1]s"); !slices.Equal(a, b) {
		t.Errorf("reordered verbs %v, plain %v", b, a)
	}
	if a, b := verbs("%d of %d"), verbs("%d"); slices.Equal(a, b) {
		t.Error("a missing verb went unseen")
	}
}

func TestPick(t *testing.T) {
	tests := []struct {
		name  string
		prefs []string
		want  i18n.Lang
	}{
		{"none", nil, i18n.Dutch},
		{"exact", []string{"de"}, i18n.German},
		{"region", []string{"pt-BR", "en"}, i18n.Portuguese},
		{"upper case and underscore", []string{"AR_EG"}, i18n.Arabic},
		{"first known wins", []string{"zh-CN", "ja", "fr-CA", "de"}, i18n.French},
		{"none known", []string{"zh", "ja"}, i18n.Dutch},
		{"accept-language weights cut", []string{"es;q=0.8"}, i18n.Spanish},
		{"empty and space", []string{"", " en-GB "}, i18n.English},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := i18n.Pick(tt.prefs, i18n.Dutch); got != tt.want {
				t.Errorf("Pick(%q) = %s, want %s", tt.prefs, got, tt.want)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		setting, def string
		prefs        []string
		want         i18n.Lang
	}{
		{"de", "fr", []string{"ar"}, i18n.German},
		{"auto", "fr", []string{"ar"}, i18n.Arabic},
		{"auto", "fr", []string{"zh"}, i18n.French},
		{"auto", "", []string{"zh"}, i18n.English},
		{"", "nl", nil, i18n.Dutch},
		{"xx", "yy", nil, i18n.English},
	}
	for _, tt := range tests {
		if got := i18n.Choose(tt.setting, tt.def, tt.prefs); got != tt.want {
			t.Errorf("Choose(%q, %q, %q) = %s, want %s", tt.setting, tt.def, tt.prefs, got, tt.want)
		}
	}
}

func TestDirAndFallbacks(t *testing.T) {
	if i18n.Arabic.Dir() != "rtl" || i18n.German.Dir() != "ltr" {
		t.Error("Arabic is right to left, German left to right")
	}
	if got := i18n.T("xx", i18n.Send); got != "Send" {
		t.Errorf("an unknown language falls back to English, got %q", got)
	}
	if got := i18n.F(i18n.German, i18n.TicketLogged, 42); got != "Ticket #42 wurde angelegt." {
		t.Errorf("F = %q", got)
	}
	for _, code := range []string{"", "auto", "EN", "en-GB", "de "} {
		if i18n.Valid(code) {
			t.Errorf("Valid(%q)", code)
		}
	}
}

func TestInvalidCoversTheFlowsReasons(t *testing.T) {
	reasons := map[string]i18n.Key{
		flow.ReasonRequired: i18n.InvalidRequired, flow.ReasonEmail: i18n.InvalidEmail,
		flow.ReasonNumber: i18n.InvalidNumber, flow.ReasonPattern: i18n.InvalidPattern,
		flow.ReasonMin: i18n.InvalidMin, flow.ReasonMax: i18n.InvalidMax,
		flow.ReasonMaxLength: i18n.InvalidMaxLength, flow.ReasonChoice: i18n.InvalidChoice,
	}
	for r, k := range reasons {
		if got := i18n.Invalid(r); got != k {
			t.Errorf("Invalid(%q) = %d, want %d", r, got, k)
		}
	}
}

// The server's texts (mails, refusals) are as complete as the widget's:
// every language has every key, with English's placeholders, and
// translated but for words every language shares.
func TestServerTextsAreCompleteAndTranslated(t *testing.T) {
	shared := map[string]bool{"Bot": true, "System": true, "Ticket": true, "Chat": true, "PDF": true, "Console": true, "images": true}
	for _, l := range i18n.Languages() {
		same := 0
		for k := i18n.ServerKey(0); k < i18n.ServerKeyCount; k++ {
			text, en := i18n.S(l, k), i18n.S(i18n.English, k)
			if strings.TrimSpace(text) == "" || strings.TrimSpace(en) == "" {
				t.Errorf("%s: server key %d (%q in English) has no text", l, k, en)
			}
			if want, got := verbs(en), verbs(text); !slices.Equal(got, want) {
				t.Errorf("%s: server key %d %q has placeholders %v, English %q has %v", l, k, text, got, en, want)
			}
			if l != i18n.English && text == en && !shared[en] && !strings.HasPrefix(en, "%") {
				same++
				t.Logf("%s: server key %d is the English %q", l, k, en)
			}
		}
		if same > 0 {
			t.Errorf("%s: %d server texts are still English", l, same)
		}
	}
}

func TestSizeAndKinds(t *testing.T) {
	tests := []struct {
		l    i18n.Lang
		n    int64
		want string
	}{
		{i18n.English, 10 << 20, "10 MiB"},
		{i18n.English, 3 << 19, "1.5 MiB"},
		{i18n.German, 3 << 19, "1,5 MiB"},
		{i18n.French, 10 << 20, "10 Mio"},
		{i18n.French, 512 << 10, "512 Kio"},
		{i18n.German, 300, "300 Bytes"},
		{i18n.English, 1500, "1500 bytes"},
	}
	for _, tt := range tests {
		if got := i18n.Size(tt.l, tt.n); got != tt.want {
			t.Errorf("Size(%s, %d) = %q, want %q", tt.l, tt.n, got, tt.want)
		}
	}
	if got := i18n.Kinds(i18n.German, []string{"image", "pdf", "other"}); got != "Bilder, PDF, other" {
		t.Errorf("Kinds = %q", got)
	}
	if got := i18n.SF(i18n.German, i18n.MailTranscriptSubject, "Acme"); got != "Ihr Chat mit Acme" {
		t.Errorf("SF = %q", got)
	}
	if got := i18n.S("xx", i18n.MailBot); got != "Bot" {
		t.Errorf("an unknown language falls back to English, got %q", got)
	}
}

func TestWidgetTIsTForTheWidgetsKeys(t *testing.T) {
	for _, l := range append(i18n.Languages(), "xx") {
		for k := i18n.Key(0); k <= lastKey; k++ {
			want := i18n.T(l, k)
			if k >= i18n.Queued { // the server's system messages
				want = ""
			}
			if got := i18n.WidgetT(l, k); got != want {
				t.Errorf("%s: WidgetT(key %d) = %q, want %q", l, k, got, want)
			}
		}
	}
}
