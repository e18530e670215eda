package protocol

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Config is the embed configuration: the host page's haloChatConfig
// (docs/CONTRACT.md#config), as the loader hands it to the widget.
type Config struct {
	ChatServiceURL   string `json:"chatServiceUrl"`
	ConfigID         string `json:"configId"`
	ConfigKey        string `json:"configKey"`
	Colour           string `json:"colour,omitempty"`
	Theme            string `json:"theme,omitempty"`
	Height           int    `json:"height,omitempty"`
	Width            int    `json:"width,omitempty"`
	Sound            string `json:"sound,omitempty"`
	Icon             string `json:"icon,omitempty"`
	PersistChatToken *bool  `json:"persistChatToken,omitempty"`
	AutoInitialize   *bool  `json:"autoInitialize,omitempty"`
	ChatMode         string `json:"chatMode,omitempty"`
	TenantID         any    `json:"tenantId,omitempty"` // accepted and ignored: single tenant
	// Portal is set by the service's own portal page (not a Halo
	// property): chat starts say so and carry the portal session cookie.
	Portal bool `json:"portal,omitempty"`
}

// Chat modes of haloChatConfig.chatMode.
const (
	ChatModeWebsocket = "websocket"
	ChatModeHeartbeat = "heartbeat"
)

// MaxConfigBytes bounds the configuration a widget accepts.
const MaxConfigBytes = 16 << 10

// ConfigError names the property of haloChatConfig that is wrong.
type ConfigError struct {
	Field   string
	Message string
}

func (e *ConfigError) Error() string { return "haloChatConfig." + e.Field + ": " + e.Message }

// ParseConfig decodes and checks a haloChatConfig object. Unknown
// properties are ignored (pages may carry Halo properties we do not use);
// wrong types and values are refused with the property named.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if len(data) > MaxConfigBytes {
		return c, &ConfigError{"", fmt.Sprintf("larger than %d bytes", MaxConfigBytes)}
	}
	if err := json.Unmarshal(data, &c); err != nil {
		var te *json.UnmarshalTypeError
		if asTypeError(err, &te) {
			return Config{}, &ConfigError{te.Field, "must be a " + te.Type.String()}
		}
		return Config{}, &ConfigError{"", "not a JSON object: " + err.Error()}
	}
	return c, c.Validate()
}

func asTypeError(err error, target **json.UnmarshalTypeError) bool {
	te, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*target = te
	}
	return ok
}

// Validate checks the required properties and the enumerations, and
// normalises ChatServiceURL (see NormalizeServiceURL).
func (c *Config) Validate() error {
	u, err := NormalizeServiceURL(c.ChatServiceURL)
	if err != nil {
		return &ConfigError{"chatServiceUrl", err.Error()}
	}
	c.ChatServiceURL = u
	if strings.TrimSpace(c.ConfigID) == "" {
		return &ConfigError{"configId", "is required"}
	}
	if strings.TrimSpace(c.ConfigKey) == "" {
		return &ConfigError{"configKey", "is required"}
	}
	switch c.Theme {
	case "", "light", "dark":
	default:
		return &ConfigError{"theme", `must be "light" or "dark"`}
	}
	switch c.ChatMode {
	case "", ChatModeWebsocket, ChatModeHeartbeat:
	default:
		return &ConfigError{"chatMode", `must be "websocket" or "heartbeat"`}
	}
	if c.Height < 0 || c.Height > 4000 {
		return &ConfigError{"height", "must be between 0 and 4000 px"}
	}
	if c.Width < 0 || c.Width > 4000 {
		return &ConfigError{"width", "must be between 0 and 4000 px"}
	}
	return nil
}

// Persist reports whether an anonymous chat survives reloads (default true).
func (c Config) Persist() bool { return c.PersistChatToken == nil || *c.PersistChatToken }

// AutoInit reports whether the widget may contact the service before an
// initialize event (default true).
func (c Config) AutoInit() bool { return c.AutoInitialize == nil || *c.AutoInitialize }

// NormalizeServiceURL returns the chat service's base URL without a
// trailing slash, accepting the vendor's form with a trailing "/api".
func NormalizeServiceURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("must be an absolute http(s) URL, got %q", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("must not carry credentials, a query or a fragment")
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api")
	u.Path = strings.TrimRight(p, "/")
	u.RawPath = ""
	return u.String(), nil
}
