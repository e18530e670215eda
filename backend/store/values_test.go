package store

import (
	"sort"
	"testing"
)

func TestRandomID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := RandomID(16)
		if len(id) != 26 || seen[id] {
			t.Fatalf("RandomID = %q", id)
		}
		seen[id] = true
	}
	ids := []string{RandomID(10), RandomID(10)}
	sort.Strings(ids)
	if len(ids[0]) != 16 {
		t.Fatalf("RandomID(10) = %q", ids[0])
	}
}
