package secret

import "testing"

func TestPasswordHashChecksOnlyTheRightPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse") {
		t.Error("the right password is refused")
	}
	if CheckPassword(h, "correct horse ") || CheckPassword(h, "") {
		t.Error("a wrong password is accepted")
	}
	if _, err := HashPassword(string(make([]byte, 73))); err == nil {
		t.Error("a password bcrypt would truncate is accepted")
	}
}

func TestKeyHash(t *testing.T) {
	k := Token(32)
	h := HashKey(k)
	if h == k || !CheckKey(h, k) || CheckKey(h, k+"x") || CheckKey(h, "") {
		t.Errorf("HashKey/CheckKey disagree for %q", k)
	}
}

func TestTokensDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok := Token(16)
		if len(tok) != 22 || seen[tok] {
			t.Fatalf("token %q repeats or has the wrong length", tok)
		}
		seen[tok] = true
	}
}

func TestDeriveIsStableAndSeparated(t *testing.T) {
	a := Derive("root", "agent", 15)
	if a != Derive("root", "agent", 15) {
		t.Error("Derive is not deterministic")
	}
	if a == Derive("root", "api", 15) || a == Derive("other", "agent", 15) {
		t.Error("Derive does not separate purposes or roots")
	}
}
