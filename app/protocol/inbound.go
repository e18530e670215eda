package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxEventDetailBytes bounds the JSON of one inbound event's detail.
const MaxEventDetailBytes = 64 << 10

// InboundEvent is one parsed haloChat_inboundEvent_*: Name, and the detail
// of its kind (nil for the kinds that carry none).
type InboundEvent struct {
	Name       string
	Initialize *InitializeDetail
	Open       *OpenDetail
	Upgrade    *UpgradeDetail
}

// InitializeDetail is the detail of haloChat_inboundEvent_initialize: the
// chat profile and appearance overrides. Empty fields keep what the
// haloChatConfig or the profile says.
type InitializeDetail struct {
	ConfigID  string `json:"configId"`
	ConfigKey string `json:"configKey"`
	Colour    string `json:"colour"`
	Theme     string `json:"theme"`
	Title     string `json:"title"`
	Height    int    `json:"height"`
	Width     int    `json:"width"`
	Sound     string `json:"sound"`
	Icon      string `json:"icon"`
}

// OpenDetail is the detail of haloChat_inboundEvent_openChatWindow.
type OpenDetail struct {
	IDToken string
	// RetainPreviousChat is true unless the page said false
	// (docs/CONTRACT.md#reload-rules: a missing retainPreviousChat means
	// true).
	RetainPreviousChat bool
	// StartStepOverride is the step to start at; 0 = the flow's start step.
	StartStepOverride int
}

// UpgradeDetail is the detail of haloChat_inboundEvent_upgradeAnonChat.
type UpgradeDetail struct {
	IDToken string
}

// EventError is a refused inbound event; the widget reports it as
// haloChat_outboundEvent_error {code, message, event}.
type EventError struct {
	Code    string
	Message string
	Event   string
}

func (e *EventError) Error() string { return e.Event + ": " + e.Message }

func eventError(name, format string, args ...any) *EventError {
	return &EventError{Code: CodeInvalidEvent, Event: name, Message: fmt.Sprintf(format, args...)}
}

// ParseInbound checks one inbound event. detail is its JSON (the loader
// serialises CustomEvent.detail); "null" or empty means no detail. Unknown
// detail properties are ignored, as host pages may send Halo properties we
// do not use; wrong types and values are refused naming the property.
func ParseInbound(name string, detail []byte) (InboundEvent, error) {
	ev := InboundEvent{Name: name}
	if len(detail) > MaxEventDetailBytes {
		return ev, eventError(name, "detail is larger than %d bytes", MaxEventDetailBytes)
	}
	obj := map[string]json.RawMessage{}
	if d := bytes.TrimSpace(detail); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		if err := json.Unmarshal(d, &obj); err != nil || obj == nil {
			return ev, eventError(name, "detail must be an object")
		}
	}
	p := detailReader{name: name, obj: obj}
	switch name {
	case EventInitialize:
		d := &InitializeDetail{
			ConfigID: p.str("configId"), ConfigKey: p.str("configKey"), Colour: p.str("colour"),
			Theme: p.str("theme"), Title: p.str("title"), Sound: p.str("sound"), Icon: p.str("icon"),
			Height: p.size("height"), Width: p.size("width"),
		}
		if p.err == nil {
			p.check(d.Colour == "" || ValidColour(d.Colour), "colour", "is not a CSS colour (a hex colour such as #0a7cff or a named colour such as red)")
			p.check(d.Theme == "" || d.Theme == "light" || d.Theme == "dark", "theme", `must be "light" or "dark"`)
			p.check((d.ConfigID == "") == (d.ConfigKey == ""), "configKey", "configId and configKey go together")
		}
		ev.Initialize = d
	case EventOpenChatWindow:
		d := &OpenDetail{IDToken: p.str("id_token"), RetainPreviousChat: true}
		if _, ok := obj["retainPreviousChat"]; ok {
			d.RetainPreviousChat = p.boolean("retainPreviousChat")
		}
		d.StartStepOverride = p.step("startStepOverride")
		ev.Open = d
	case EventUpgradeAnonChat:
		d := &UpgradeDetail{IDToken: p.str("id_token")}
		if p.err == nil {
			p.check(d.IDToken != "", "id_token", "is required")
		}
		ev.Upgrade = d
	case EventLogout, EventLoginChanged, EventCloseChatWindow:
	default:
		return ev, eventError(name, "is not an event of the Chat Widget Events API")
	}
	if p.err != nil {
		return ev, p.err
	}
	return ev, nil
}

// detailReader reads typed properties, keeping the first error.
type detailReader struct {
	name string
	obj  map[string]json.RawMessage
	err  *EventError
}

func (p *detailReader) check(ok bool, field, msg string) {
	if !ok && p.err == nil {
		p.err = eventError(p.name, "%s %s", field, msg)
	}
}

func (p *detailReader) raw(field string) (json.RawMessage, bool) {
	v, ok := p.obj[field]
	if !ok || bytes.Equal(v, []byte("null")) {
		return nil, false
	}
	return v, true
}

func (p *detailReader) str(field string) string {
	v, ok := p.raw(field)
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		p.check(false, field, "must be a string")
		return ""
	}
	return strings.TrimSpace(s)
}

func (p *detailReader) boolean(field string) bool {
	v, ok := p.raw(field)
	if !ok {
		return true
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		p.check(false, field, "must be true or false")
	}
	return b
}

// number accepts a JSON number or a numeric string ("9"), as pages built
// from form values send both.
func (p *detailReader) number(field string) (float64, bool) {
	v, ok := p.raw(field)
	if !ok {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(v, &f); err == nil {
		return f, true
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f, true
		}
	}
	p.check(false, field, "must be a number")
	return 0, false
}

func (p *detailReader) step(field string) int {
	return p.whole(field, 1, 1e6, "must be a whole step number of 1 or more")
}

func (p *detailReader) size(field string) int {
	return p.whole(field, 100, 4000, "must be a whole number of pixels between 100 and 4000")
}

// whole reads field as a whole number in [lo, hi]; anything else is
// refused with msg and reads as 0.
func (p *detailReader) whole(field string, lo, hi float64, msg string) int {
	f, ok := p.number(field)
	if !ok {
		return 0
	}
	if f != math.Trunc(f) || f < lo || f > hi {
		p.check(false, field, msg)
		return 0
	}
	return int(f)
}
