package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A sealed value opens with its key (also as an older key of a ring),
// never holds the clear value, differs each time, and a wrong key, a
// changed value or a cut one fail with an error naming the key id.
func TestSealOpen(t *testing.T) {
	oldKey, newKey := NewKey(), NewKey()
	old, err := NewRing(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	v := old.Seal("hs256 secret of at least 32 bytes!")
	if !IsSealed(v) || strings.Contains(v, "hs256") || KeyID(v) != old.CurrentID() {
		t.Fatalf("sealed %q", v)
	}
	if v2 := old.Seal("hs256 secret of at least 32 bytes!"); v2 == v {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	rotating, err := NewRing(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Ring{old, rotating} {
		if got, err := r.Open(v); err != nil || got != "hs256 secret of at least 32 bytes!" {
			t.Errorf("open: %q %v", got, err)
		}
	}
	if KeyID(rotating.Seal("x")) == old.CurrentID() {
		t.Error("the rotating ring seals under the old key")
	}
	other, _ := NewRing(NewKey())
	if _, err := other.Open(v); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), old.CurrentID()) {
		t.Errorf("wrong key: %v", err)
	}
	// A character from the end, whose every bit is data: the last one of
	// unpadded base64 may carry padding bits that decoding ignores.
	i := len(v) - 5
	changed := v[:i] + map[bool]string{true: "A", false: "B"}[v[i] != 'A'] + v[i+1:]
	for _, bad := range []string{changed, v[:len(prefix)+20], prefix + old.CurrentID()} {
		if _, err := old.Open(bad); err == nil {
			t.Errorf("open %q: no error", bad)
		}
	}
	if got, err := old.Open("clear"); err != nil || got != "clear" {
		t.Errorf("a clear value opens as %q %v", got, err)
	}
}

func TestParseKey(t *testing.T) {
	raw := strings.Repeat("k", KeySize)
	for _, ok := range []string{NewKey(), " " + NewKey() + "\n", strings.Repeat("ab", KeySize)} {
		if _, err := ParseKey(ok); err != nil {
			t.Errorf("ParseKey(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "short", raw, strings.Repeat("ab", KeySize-1)} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

// FuzzOpen: no value read from the database panics Open.
func FuzzOpen(f *testing.F) {
	r, _ := NewRing(NewKey())
	f.Add(r.Seal("secret"))
	f.Add(prefix + r.CurrentID() + ":")
	f.Add(prefix)
	f.Add("clear")
	f.Fuzz(func(t *testing.T, v string) { _, _ = r.Open(v) })
}

// Derive gives each purpose its own key, the same on every node with the
// same current key, and another one once the key is rotated.
func TestDerive(t *testing.T) {
	k1, k2 := NewKey(), NewKey()
	a, _ := NewRing(k1)
	b, _ := NewRing(k1, k2)
	rotated, _ := NewRing(k2, k1)
	raw, _ := ParseKey(k1)
	links := a.Derive("links")
	switch {
	case len(links) != KeySize:
		t.Errorf("derived %d bytes, want %d", len(links), KeySize)
	case !bytes.Equal(links, b.Derive("links")):
		t.Error("two rings with the same current key derive different keys")
	case bytes.Equal(links, a.Derive("other")):
		t.Error("two purposes share a key")
	case bytes.Equal(links, rotated.Derive("links")):
		t.Error("a rotated ring derives the old key")
	case bytes.Equal(links, raw):
		t.Error("the derived key is the sealing key")
	}
}
