package widget

import (
	"net/url"
	"strings"
	"testing"

	"halochat/app/protocol"
)

// fragmentOf is the fragment as the widget reads it: the loader writes
// "#halochat=" and encodeURIComponent(JSON), the URL parser decodes it.
func fragmentOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse("http://127.0.0.1:8080/chat/widget/?configId=p1#" + raw)
	if err != nil {
		t.Fatalf("parse the frame's URL: %v", err)
	}
	return u.Fragment
}

func TestBootFromFragment(t *testing.T) {
	config := `{"chatServiceUrl":"http://127.0.0.1:8080","configId":"p1","configKey":"k1"}`
	tests := []struct {
		name     string
		raw      string // after "#", as the loader writes it
		ok       bool
		answered bool
		open     bool
	}{
		{"the loader's hello, the click opening", "halochat=" + url.QueryEscape(`{"config":`+config+`,"answered":true,"open":true}`), true, true, true},
		{"booted on intent, nothing answered", "halochat=" + url.PathEscape(`{"config":`+config+`,"answered":false,"open":false}`), true, false, false},
		{"no fragment", "", false, false, false},
		{"another page's fragment", "section-2", false, false, false},
		{"not JSON", "halochat=%7Bconfig", false, false, false},
		{"no config", "halochat=" + url.QueryEscape(`{"open":true}`), false, false, false},
		{"a config of null", "halochat=" + url.QueryEscape(`{"config":null,"open":true}`), false, false, false},
		{"too long", "halochat=" + url.QueryEscape(`{"config":{"configId":"`+strings.Repeat("x", protocol.MaxConfigBytes+256)+`"}}`), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := bootFromFragment(fragmentOf(t, tt.raw))
			if ok != tt.ok {
				t.Fatalf("bootFromFragment(%.60q) ok = %v, want %v", tt.raw, ok, tt.ok)
			}
			if !ok {
				return
			}
			if b.Answered != tt.answered || b.Open != tt.open {
				t.Errorf("answered, open = %v, %v; want %v, %v", b.Answered, b.Open, tt.answered, tt.open)
			}
			// The config goes through the hello's own check.
			cfg, err := protocol.ParseConfig(b.Config)
			if err != nil || cfg.ConfigID != "p1" || cfg.ConfigKey != "k1" {
				t.Errorf("the config = %+v, %v; want profile p1 with key k1", cfg, err)
			}
		})
	}
}

// FuzzBootFromFragment: whatever a page puts in the frame's URL, reading
// it neither panics nor accepts a state without a config.
func FuzzBootFromFragment(f *testing.F) {
	f.Add(`halochat={"config":{"configId":"p1","configKey":"k1"},"answered":true,"open":true}`)
	f.Add(`halochat={"config":[],"open":1}`)
	f.Add(`halochat=`)
	f.Add(`top`)
	f.Fuzz(func(t *testing.T, fragment string) {
		b, ok := bootFromFragment(fragment)
		if ok && (len(b.Config) == 0 || b.Config[0] != '{') {
			t.Fatalf("accepted %q without a config", fragment)
		}
		if ok && len(fragment) > len(bootFragment)+protocol.MaxConfigBytes+256 {
			t.Fatalf("accepted a fragment of %d bytes", len(fragment))
		}
	})
}
