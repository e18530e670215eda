package browsertest

import (
	"os"
	"testing"
)

// TestMain stops the chromium processes the tests shared (chromiums).
func TestMain(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}
