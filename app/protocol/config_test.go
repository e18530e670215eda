package protocol

import (
	"errors"
	"testing"
)

func TestNormalizeServiceURL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "https://chat.example.com", want: "https://chat.example.com"},
		{in: "https://chat.example.com/", want: "https://chat.example.com"},
		{in: "https://chat.example.com/api", want: "https://chat.example.com"},
		{in: "https://chat.example.com/api/", want: "https://chat.example.com"},
		{in: "http://127.0.0.1:8080/halo/api", want: "http://127.0.0.1:8080/halo"},
		{in: "https://chat.example.com/apis", want: "https://chat.example.com/apis"},
		{in: "", wantErr: true},
		{in: "chat.example.com", wantErr: true},
		{in: "javascript:alert(1)", wantErr: true},
		{in: "ftp://chat.example.com", wantErr: true},
		{in: "https://user:pw@chat.example.com", wantErr: true},
		{in: "https://chat.example.com/?x=1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := NormalizeServiceURL(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("NormalizeServiceURL(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeServiceURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseConfigNamesTheWrongProperty(t *testing.T) {
	tests := []struct {
		name, json, field string
	}{
		{"missing configId", `{"chatServiceUrl":"https://c.example","configKey":"k"}`, "configId"},
		{"missing configKey", `{"chatServiceUrl":"https://c.example","configId":"p"}`, "configKey"},
		{"bad url", `{"chatServiceUrl":"nope","configId":"p","configKey":"k"}`, "chatServiceUrl"},
		{"height is a string", `{"chatServiceUrl":"https://c.example","configId":"p","configKey":"k","height":"tall"}`, "height"},
		{"bad theme", `{"chatServiceUrl":"https://c.example","configId":"p","configKey":"k","theme":"blue"}`, "theme"},
		{"bad chat mode", `{"chatServiceUrl":"https://c.example","configId":"p","configKey":"k","chatMode":"carrier-pigeon"}`, "chatMode"},
		{"persist not bool", `{"chatServiceUrl":"https://c.example","configId":"p","configKey":"k","persistChatToken":"yes"}`, "persistChatToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseConfig error = %v, want a *ConfigError", err)
			}
			if ce.Field != tt.field {
				t.Errorf("ConfigError.Field = %q, want %q (%v)", ce.Field, tt.field, err)
			}
		})
	}
}

func TestParseConfigDefaultsAndVendorForm(t *testing.T) {
	c, err := ParseConfig([]byte(`{"chatServiceUrl":"https://chat.example.com/api","configId":"p1","configKey":"k1","tenantId":7,"unknownHaloSetting":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.ChatServiceURL != "https://chat.example.com" {
		t.Errorf("ChatServiceURL = %q", c.ChatServiceURL)
	}
	if !c.Persist() || !c.AutoInit() {
		t.Errorf("defaults: Persist=%v AutoInit=%v, want true, true", c.Persist(), c.AutoInit())
	}
	c, err = ParseConfig([]byte(`{"chatServiceUrl":"https://c.example","configId":"p","configKey":"k","persistChatToken":false,"autoInitialize":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Persist() || c.AutoInit() {
		t.Errorf("explicit false: Persist=%v AutoInit=%v", c.Persist(), c.AutoInit())
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"chatServiceUrl":"https://chat.example.com/api","configId":"p1","configKey":"k1"}`))
	f.Add([]byte(`{"chatServiceUrl":"http://127.0.0.1:1/","configId":"1","configKey":"2","height":600,"theme":"dark","chatMode":"heartbeat"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"height":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		// Whatever is accepted is normalised: parsing its URL again is stable.
		again, err := NormalizeServiceURL(c.ChatServiceURL)
		if err != nil || again != c.ChatServiceURL {
			t.Fatalf("accepted URL %q does not normalise to itself: %q, %v", c.ChatServiceURL, again, err)
		}
	})
}
