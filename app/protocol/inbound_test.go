package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestParseInbound(t *testing.T) {
	tests := []struct {
		name, event, detail string
		wantErr             string // a part of the message; "" = accepted
		check               func(t *testing.T, ev InboundEvent)
	}{
		{name: "initialize from the vendor guide", event: EventInitialize,
			detail: `{"configId":"123456","configKey":"abcdefg","colour":"red"}`,
			check: func(t *testing.T, ev InboundEvent) {
				if d := ev.Initialize; d.ConfigID != "123456" || d.ConfigKey != "abcdefg" || d.Colour != "red" {
					t.Errorf("detail %+v", d)
				}
			}},
		{name: "initialize with a hex colour only", event: EventInitialize, detail: `{"colour":"#0A7CFF"}`},
		{name: "colour that would inject CSS", event: EventInitialize, detail: `{"colour":"red;}body{display:none"}`, wantErr: "colour is not a CSS colour"},
		{name: "colour of the wrong type", event: EventInitialize, detail: `{"colour":12}`, wantErr: "colour must be a string"},
		{name: "id without key", event: EventInitialize, detail: `{"configId":"1"}`, wantErr: "configId and configKey go together"},
		{name: "bad theme", event: EventInitialize, detail: `{"theme":"sepia"}`, wantErr: "theme must be"},
		{name: "height too small", event: EventInitialize, detail: `{"height":5}`, wantErr: "height must be"},
		{name: "open from the vendor guide", event: EventOpenChatWindow,
			detail: `{"id_token":"a.b.c","retainPreviousChat":true,"startStepOverride":9}`,
			check: func(t *testing.T, ev InboundEvent) {
				if d := ev.Open; d.IDToken != "a.b.c" || !d.RetainPreviousChat || d.StartStepOverride != 9 {
					t.Errorf("detail %+v", d)
				}
			}},
		{name: "open with no detail retains the chat", event: EventOpenChatWindow, detail: ``,
			check: func(t *testing.T, ev InboundEvent) {
				if !ev.Open.RetainPreviousChat || ev.Open.StartStepOverride != 0 {
					t.Errorf("detail %+v", ev.Open)
				}
			}},
		{name: "open with a step as a string", event: EventOpenChatWindow, detail: `{"startStepOverride":"9"}`,
			check: func(t *testing.T, ev InboundEvent) {
				if ev.Open.StartStepOverride != 9 {
					t.Errorf("step %d", ev.Open.StartStepOverride)
				}
			}},
		{name: "open with retain false", event: EventOpenChatWindow, detail: `{"retainPreviousChat":false}`,
			check: func(t *testing.T, ev InboundEvent) {
				if ev.Open.RetainPreviousChat {
					t.Error("retainPreviousChat false was read as true")
				}
			}},
		{name: "open with a fractional step", event: EventOpenChatWindow, detail: `{"startStepOverride":9.5}`, wantErr: "whole step number"},
		{name: "open with a negative step", event: EventOpenChatWindow, detail: `{"startStepOverride":-1}`, wantErr: "whole step number"},
		{name: "open with retain as a string", event: EventOpenChatWindow, detail: `{"retainPreviousChat":"no"}`, wantErr: "retainPreviousChat must be true or false"},
		{name: "open with a token object", event: EventOpenChatWindow, detail: `{"id_token":{"sub":"1"}}`, wantErr: "id_token must be a string"},
		{name: "detail that is not an object", event: EventOpenChatWindow, detail: `[1,2]`, wantErr: "detail must be an object"},
		{name: "upgrade needs a token", event: EventUpgradeAnonChat, detail: `{}`, wantErr: "id_token is required"},
		{name: "upgrade", event: EventUpgradeAnonChat, detail: `{"id_token":"x.y.z"}`},
		{name: "logout", event: EventLogout, detail: `null`},
		{name: "loginChanged is accepted as logout's alias", event: EventLoginChanged},
		{name: "close", event: EventCloseChatWindow, detail: `{"whatever":1}`},
		{name: "unknown event", event: "haloChat_inboundEvent_selfDestruct", wantErr: "is not an event"},
		{name: "huge detail", event: EventOpenChatWindow, detail: `{"id_token":"` + strings.Repeat("a", MaxEventDetailBytes) + `"}`, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseInbound(tt.event, []byte(tt.detail))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tt.check != nil {
					tt.check(t, ev)
				}
				return
			}
			var ee *EventError
			if !errors.As(err, &ee) {
				t.Fatalf("error = %v, want an *EventError containing %q", err, tt.wantErr)
			}
			if ee.Code != CodeInvalidEvent || ee.Event != tt.event || !strings.Contains(ee.Message, tt.wantErr) {
				t.Errorf("error = %+v, want code invalid_event, event %s, message containing %q", ee, tt.event, tt.wantErr)
			}
		})
	}
}

func FuzzParseInbound(f *testing.F) {
	for _, name := range InboundEvents {
		f.Add(name, []byte(`{"configId":"1","configKey":"k","colour":"red","id_token":"a.b.c","retainPreviousChat":false,"startStepOverride":"9","height":600}`))
	}
	f.Add(EventOpenChatWindow, []byte(`{"startStepOverride":1e308}`))
	f.Add(EventInitialize, []byte(`{"colour":"#fff\u0000"}`))
	f.Fuzz(func(t *testing.T, name string, detail []byte) {
		ev, err := ParseInbound(name, detail)
		if err != nil {
			var ee *EventError
			if !errors.As(err, &ee) || ee.Code == "" || ee.Message == "" {
				t.Fatalf("error %v is not a complete *EventError", err)
			}
			return
		}
		if d := ev.Initialize; d != nil && d.Colour != "" && !ValidColour(d.Colour) {
			t.Fatalf("accepted colour %q that ValidColour refuses", d.Colour)
		}
		if d := ev.Open; d != nil && d.StartStepOverride < 0 {
			t.Fatalf("accepted step %d", d.StartStepOverride)
		}
	})
}
