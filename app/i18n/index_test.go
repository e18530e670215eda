package i18n

import "testing"

func TestTablesFollowLanguages(t *testing.T) {
	for i, l := range Languages() {
		if l.index() != i {
			t.Errorf("%s: index %d, want %d (its place in Languages)", l, l.index(), i)
		}
	}
	for _, code := range []Lang{"", "xx", "EN", "en-GB"} {
		if code.index() != -1 || tableOf(code) != nil || systemOf(code) != nil {
			t.Errorf("%q has a table", code)
		}
	}
	if tableOf(German)[Send] != de[Send] || systemOf(Arabic)[Queued] != arSystem[Queued] {
		t.Error("a language's tables are another's")
	}
}
