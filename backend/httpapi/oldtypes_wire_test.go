package httpapi_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/auth"
	"halochat/backend/chatapi"
	"halochat/backend/httpapi"
	"halochat/backend/portal"
	"halochat/backend/store"
)

// TestOldTypesWireJSON marshals the API's own body types with
// the representative values of app/protocol's TestAdminWireJSON and
// compares with the JSON that test expects of app/protocol's types: the
// shared types answer what these answered. Removed with the old types.
func TestOldTypesWireJSON(t *testing.T) {
	wireTime := time.Date(2026, 11, 3, 9, 30, 0, 123000000, time.UTC)
	wireLater := wireTime.Add(90 * time.Minute)
	seen := wireLater
	profile := httpapi.ChatProfileJSON{ID: "p1", Key: "k1", Name: "Shop", Access: "portal_and_external",
		Appearance:     store.Appearance{Colour: "#1f6feb", Theme: "dark", Title: "Help", Greeting: "Hi!", LauncherPosition: "bottom-left", IconURL: "https://shop.example/i.png"},
		AllowedOrigins: []string{"https://shop.example"},
		Identity: store.IdentitySettings{TokenRequired: true, HS256Secrets: []store.HMACSecret{{KID: "h1", Secret: "s"}},
			PublicKeys: []store.PublicKey{{KID: "r1", Alg: "RS256", PEM: "-----BEGIN PUBLIC KEY-----"}}, Issuer: "iss", Audience: "aud", LeewaySeconds: 30},
		TokenMappings: map[string]string{"given_name": "firstname", "email": "email"},
		Availability: store.Availability{TimeZone: "Europe/London", Weekly: []store.OpeningInterval{{Weekday: 1, Start: "09:00", End: "17:30"}},
			Holidays: []store.Holiday{{Date: "2026-12-25", Name: "Christmas"}, {Date: "2026-12-26"}}, NeedsAgent: true, HideWhenUnavailable: true},
		EmailStorageKey: "email", TrustEmailStorage: true, FlowID: 3, StartStep: 2, TicketTypeID: 4, CreatedAt: wireTime, UpdatedAt: wireLater}
	agent := httpapi.AgentJSON{ID: 7, Email: "sam@example.com", Name: "Sam", Role: "admin", Presence: "online", Disabled: true,
		LastSeenAt: &seen, CreatedAt: wireTime, UpdatedAt: wireLater}
	client := httpapi.APIClientJSON{ID: 8, ClientID: "crm", Name: "CRM", Permissions: []string{"admin", "users:write"}, Disabled: true,
		CreatedAt: wireTime, UpdatedAt: wireLater}
	user := httpapi.UserJSON{ID: 9, Email: "pat@example.com", ExternalID: "x9", Username: "pat", FirstName: "Pat", LastName: "Lee",
		Phone: "+44 1", HasPassword: true, Disabled: true, CreatedAt: wireTime, UpdatedAt: wireLater}
	portalUser := portal.Me{ID: 9, Email: "pat@example.com", FirstName: "Pat", LastName: "Lee", Name: "Pat Lee"}
	ticket := store.Ticket{ID: 11, TicketTypeID: 4, UserID: 9, ChatID: "c1", Summary: "Refund", Details: "visitor: hi",
		Status: "open", CreatedAt: wireTime, UpdatedAt: wireLater}
	chat := protocol.ChatState{ID: "c1", Status: protocol.ChatStatusEnded, LastSeq: 2}
	msg := protocol.ChatMessage{Seq: 1, From: protocol.FromVisitor, Text: "hi", CreatedAt: "2026-11-03T09:30:00Z"}
	me := auth.Me{ID: 7, Email: "sam@example.com", Name: "Sam", Role: "admin"}
	for _, c := range []struct {
		name string
		old  any
		want string
	}{
		{"profile", profile,
			`{"id":"p1","key":"k1","name":"Shop","access":"portal_and_external","appearance":{"colour":"#1f6feb","theme":"dark","title":"Help","greeting":"Hi!","launcherPosition":"bottom-left","iconUrl":"https://shop.example/i.png"},"allowedOrigins":["https://shop.example"],"identity":{"tokenRequired":true,"hs256Secrets":[{"kid":"h1","secret":"s"}],"publicKeys":[{"kid":"r1","alg":"RS256","pem":"-----BEGIN PUBLIC KEY-----"}],"issuer":"iss","audience":"aud","leewaySeconds":30},"tokenMappings":{"email":"email","given_name":"firstname"},"availability":{"timeZone":"Europe/London","weekly":[{"weekday":1,"start":"09:00","end":"17:30"}],"holidays":[{"date":"2026-12-25","name":"Christmas"},{"date":"2026-12-26"}],"needsAgent":true,"hideWhenUnavailable":true},"emailStorageKey":"email","trustEmailStorage":true,"flowId":3,"startStep":2,"ticketTypeId":4,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"empty profile", httpapi.ChatProfileJSON{},
			`{"id":"","key":"","name":"","access":"","appearance":{},"allowedOrigins":null,"identity":{"tokenRequired":false},"tokenMappings":null,"availability":{"needsAgent":false},"emailStorageKey":"","trustEmailStorage":false,"flowId":0,"startStep":0,"ticketTypeId":0,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"profile input", httpapi.ChatProfileInput{ChatProfileJSON: profile},
			`{"id":"p1","key":"k1","name":"Shop","access":"portal_and_external","appearance":{"colour":"#1f6feb","theme":"dark","title":"Help","greeting":"Hi!","launcherPosition":"bottom-left","iconUrl":"https://shop.example/i.png"},"allowedOrigins":["https://shop.example"],"identity":{"tokenRequired":true,"hs256Secrets":[{"kid":"h1","secret":"s"}],"publicKeys":[{"kid":"r1","alg":"RS256","pem":"-----BEGIN PUBLIC KEY-----"}],"issuer":"iss","audience":"aud","leewaySeconds":30},"tokenMappings":{"email":"email","given_name":"firstname"},"availability":{"timeZone":"Europe/London","weekly":[{"weekday":1,"start":"09:00","end":"17:30"}],"holidays":[{"date":"2026-12-25","name":"Christmas"},{"date":"2026-12-26"}],"needsAgent":true,"hideWhenUnavailable":true},"emailStorageKey":"email","trustEmailStorage":true,"flowId":3,"startStep":2,"ticketTypeId":4,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"profile key", httpapi.ProfileKey{ID: "p1", Key: "k2"},
			`{"id":"p1","key":"k2"}`},

		{"me", me,
			`{"id":7,"email":"sam@example.com","name":"Sam","role":"admin"}`},
		{"login", map[string]string{"email": "sam@example.com", "password": "pw"},
			`{"email":"sam@example.com","password":"pw"}`},
		{"agent login", map[string]any{"agent": me, "token": "hcs_t", "expires_in": int((12 * time.Hour).Seconds())},
			`{"agent":{"id":7,"email":"sam@example.com","name":"Sam","role":"admin"},"expires_in":43200,"token":"hcs_t"}`},
		{"agent", agent,
			`{"id":7,"email":"sam@example.com","name":"Sam","role":"admin","presence":"online","disabled":true,"lastSeenAt":"2026-11-03T11:00:00.123Z","createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"agent never seen", httpapi.AgentJSON{ID: 7},
			`{"id":7,"email":"","name":"","role":"","presence":"","disabled":false,"lastSeenAt":null,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"agent input", httpapi.AgentInput{AgentJSON: agent, Password: "a long password"},
			`{"id":7,"email":"sam@example.com","name":"Sam","role":"admin","presence":"online","disabled":true,"lastSeenAt":"2026-11-03T11:00:00.123Z","createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","password":"a long password"}`},
		{"agent input without password", httpapi.AgentInput{AgentJSON: httpapi.AgentJSON{Name: "Sam"}},
			`{"id":0,"email":"","name":"Sam","role":"","presence":"","disabled":false,"lastSeenAt":null,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"api client", client,
			`{"id":8,"clientId":"crm","name":"CRM","permissions":["admin","users:write"],"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"api client without permissions", httpapi.APIClientJSON{ID: 8},
			`{"id":8,"clientId":"","name":"","permissions":null,"disabled":false,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"api client with secret", httpapi.APIClientWithSecret{APIClientJSON: client, ClientSecret: "sec"},
			`{"id":8,"clientId":"crm","name":"CRM","permissions":["admin","users:write"],"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","clientSecret":"sec"}`},
		{"api client input", httpapi.APIClientInput{APIClientJSON: client},
			`{"id":8,"clientId":"crm","name":"CRM","permissions":["admin","users:write"],"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},

		{"user", user,
			`{"id":9,"email":"pat@example.com","externalId":"x9","username":"pat","firstName":"Pat","lastName":"Lee","phone":"+44 1","hasPassword":true,"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"user input", httpapi.UserInput{UserJSON: user, Password: "a long password"},
			`{"id":9,"email":"pat@example.com","externalId":"x9","username":"pat","firstName":"Pat","lastName":"Lee","phone":"+44 1","hasPassword":true,"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","password":"a long password"}`},
		{"user input without password", httpapi.UserInput{UserJSON: httpapi.UserJSON{Email: "pat@example.com"}},
			`{"id":0,"email":"pat@example.com","externalId":"","username":"","firstName":"","lastName":"","phone":"","hasPassword":false,"disabled":false,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"matching data input", httpapi.ChatMatchingDataInput{JSONContent: json.RawMessage(`{"firstname":"John"}`), SingleUse: true},
			`{"json_content":{"firstname":"John"},"single_use":true}`},
		{"matching data", httpapi.ChatMatchingDataJSON{GUID: "g", Key: "k", ExpiresAt: wireLater, SingleUse: true},
			`{"guid":"g","key":"k","expires_at":"2026-11-03T11:00:00.123Z","single_use":true}`},

		{"portal user", portalUser,
			`{"id":9,"email":"pat@example.com","firstName":"Pat","lastName":"Lee","name":"Pat Lee"}`},
		{"portal login", map[string]any{"user": portalUser, "expires_in": int((12 * time.Hour).Seconds())},
			`{"expires_in":43200,"user":{"id":9,"email":"pat@example.com","firstName":"Pat","lastName":"Lee","name":"Pat Lee"}}`},
		{"portal token login", map[string]string{"profileId": "p1", "id_token": "eyJ"},
			`{"profileId":"p1","id_token":"eyJ"}`},
		{"portal me", map[string]any{"user": &portalUser},
			`{"user":{"id":9,"email":"pat@example.com","firstName":"Pat","lastName":"Lee","name":"Pat Lee"}}`},
		{"portal me logged out", map[string]any{"user": (*portal.Me)(nil)},
			`{"user":null}`},
		{"portal ticket", portal.Ticket{ID: 11, Summary: "Refund", Status: "open", Type: "Billing", ChatID: "c1", CreatedAt: wireTime},
			`{"id":11,"summary":"Refund","status":"open","type":"Billing","chatId":"c1","createdAt":"2026-11-03T09:30:00.123Z"}`},
		{"portal profile", portal.Profile{ID: "p1", Key: "k1", Name: "Shop", Access: "portal", Colour: "teal"},
			`{"id":"p1","key":"k1","name":"Shop","access":"portal","colour":"teal"}`},
		{"portal profile without colour", portal.Profile{ID: "p1", Key: "k1", Name: "Shop", Access: "portal"},
			`{"id":"p1","key":"k1","name":"Shop","access":"portal"}`},

		{"ticket", ticket,
			`{"ID":11,"TicketTypeID":4,"UserID":9,"ChatID":"c1","Summary":"Refund","Details":"visitor: hi","Status":"open","CreatedAt":"2026-11-03T09:30:00.123Z","UpdatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"ticket list", map[string]any{"tickets": []store.Ticket{ticket}},
			`{"tickets":[{"ID":11,"TicketTypeID":4,"UserID":9,"ChatID":"c1","Summary":"Refund","Details":"visitor: hi","Status":"open","CreatedAt":"2026-11-03T09:30:00.123Z","UpdatedAt":"2026-11-03T11:00:00.123Z"}]}`},
		{"ticket detail", chatapi.TicketDetail{Ticket: ticket, Fields: []chatapi.TicketField{{FieldID: 5, Name: "CForder", Label: "Order", Value: "42"}}},
			`{"ID":11,"TicketTypeID":4,"UserID":9,"ChatID":"c1","Summary":"Refund","Details":"visitor: hi","Status":"open","CreatedAt":"2026-11-03T09:30:00.123Z","UpdatedAt":"2026-11-03T11:00:00.123Z","fields":[{"field_id":5,"name":"CForder","label":"Order","value":"42"}]}`},
		{"chat list", map[string]any{"chats": []protocol.ChatState{chat}},
			`{"chats":[{"id":"c1","status":"ended","startStep":0,"authenticated":false,"lastSeq":2}]}`},
		{"transcript", chatapi.ChatDetail{Chat: chat, Messages: []protocol.ChatMessage{msg}},
			`{"chat":{"id":"c1","status":"ended","startStep":0,"authenticated":false,"lastSeq":2},"messages":[{"seq":1,"from":"visitor","text":"hi","createdAt":"2026-11-03T09:30:00Z"}]}`},
		{"message list", map[string]any{"messages": []protocol.ChatMessage{msg}},
			`{"messages":[{"seq":1,"from":"visitor","text":"hi","createdAt":"2026-11-03T09:30:00Z"}]}`},
		{"empty message list", map[string]any{"messages": []protocol.ChatMessage(nil)},
			`{"messages":null}`},
		{"agent message", chatapi.AgentMessage{ChatID: "c1", ClientMsgID: "m1", Text: "hello"},
			`{"chat_id":"c1","client_msg_id":"m1","text":"hello"}`},
		{"agent typing", chatapi.IsTyping{ChatID: "c1", Typing: true},
			`{"chat_id":"c1","typing":true}`},
		{"upgrade", map[string]string{"id_token": "eyJ"},
			`{"id_token":"eyJ"}`},
	} {
		b, err := json.Marshal(c.old)
		if err != nil {
			t.Fatal(err)
		}
		// A map stands for an unexported request type (or the map a
		// handler answered): its keys come sorted, so the same document
		// suffices for it.
		_, isMap := c.old.(map[string]string)
		var got, want any
		_ = json.Unmarshal(b, &got)
		_ = json.Unmarshal([]byte(c.want), &want)
		if string(b) != c.want && !(isMap && reflect.DeepEqual(got, want)) {
			t.Errorf("%s: the old type's JSON\n got %s\nwant %s", c.name, b, c.want)
		}
	}
}
