package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"halochat/app/flow"
)

// wireCase is a representative value of an API body and the JSON the API
// answers for it. The JSON is the contract with the console, the portal
// page and every API client: names, omitempty, null against absent.
type wireCase struct {
	name string
	v    any
	want string
}

var (
	wireTime  = time.Date(2026, 11, 3, 9, 30, 0, 123000000, time.UTC)
	wireLater = wireTime.Add(90 * time.Minute)
)

func adminWireCases() []wireCase {
	seen := wireLater
	profile := ChatProfile{ID: "p1", Key: "k1", Name: "Shop", Access: "portal_and_external",
		Appearance:     Appearance{Colour: "#1f6feb", Theme: "dark", Title: "Help", Greeting: "Hi!", LauncherPosition: "bottom-left", IconURL: "https://shop.example/i.png"},
		AllowedOrigins: []string{"https://shop.example"},
		Identity: IdentitySettings{TokenRequired: true, HS256Secrets: []HMACSecret{{KID: "h1", Secret: "s"}},
			PublicKeys: []PublicKey{{KID: "r1", Alg: "RS256", PEM: "-----BEGIN PUBLIC KEY-----"}}, Issuer: "iss", Audience: "aud", LeewaySeconds: 30,
			MaxTokenLifetimeSeconds: 3600},
		TokenMappings: map[string]string{"given_name": "firstname", "email": "email"},
		Availability: AvailabilitySettings{TimeZone: "Europe/London", Weekly: []OpeningInterval{{Weekday: 1, Start: "09:00", End: "17:30"}},
			Holidays: []Holiday{{Date: "2026-12-25", Name: "Christmas"}, {Date: "2026-12-26"}}, NeedsAgent: true, HideWhenUnavailable: true},
		EmailStorageKey: "email", TrustEmailStorage: true, FlowID: 3, StartStep: 2, TicketTypeID: 4, AgentChatVisibility: "queueAndOwn",
		RatingQuestion: "off", Language: "auto", DefaultLanguage: "de", CreatedAt: wireTime, UpdatedAt: wireLater}
	agent := Agent{ID: 7, Email: "sam@example.com", Name: "Sam", Role: "admin", Presence: "online", Disabled: true,
		LastSeenAt: &seen, CreatedAt: wireTime, UpdatedAt: wireLater, MaxChats: 5}
	client := APIClient{ID: 8, ClientID: "crm", Name: "CRM", Permissions: []string{"admin", "users:write"}, Disabled: true,
		CreatedAt: wireTime, UpdatedAt: wireLater, ProfileIDs: []string{"p1"}}
	user := User{ID: 9, Email: "pat@example.com", ExternalID: "x9", Username: "pat", FirstName: "Pat", LastName: "Lee",
		Phone: "+44 1", HasPassword: true, Disabled: true, CreatedAt: wireTime, UpdatedAt: wireLater}
	cases := []wireCase{
		{"profile", profile,
			`{"id":"p1","key":"k1","name":"Shop","access":"portal_and_external","appearance":{"colour":"#1f6feb","theme":"dark","title":"Help","greeting":"Hi!","launcherPosition":"bottom-left","iconUrl":"https://shop.example/i.png"},"allowedOrigins":["https://shop.example"],"identity":{"tokenRequired":true,"hs256Secrets":[{"kid":"h1","secret":"s"}],"publicKeys":[{"kid":"r1","alg":"RS256","pem":"-----BEGIN PUBLIC KEY-----"}],"issuer":"iss","audience":"aud","leewaySeconds":30,"maxTokenLifetimeSeconds":3600},"tokenMappings":{"email":"email","given_name":"firstname"},"availability":{"timeZone":"Europe/London","weekly":[{"weekday":1,"start":"09:00","end":"17:30"}],"holidays":[{"date":"2026-12-25","name":"Christmas"},{"date":"2026-12-26"}],"needsAgent":true,"hideWhenUnavailable":true},"emailStorageKey":"email","trustEmailStorage":true,"flowId":3,"startStep":2,"ticketTypeId":4,"agentChatVisibility":"queueAndOwn","attachments":{},"ratingQuestion":"off","language":"auto","defaultLanguage":"de","createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"empty profile", ChatProfile{},
			`{"id":"","key":"","name":"","access":"","appearance":{},"allowedOrigins":null,"identity":{"tokenRequired":false},"tokenMappings":null,"availability":{"needsAgent":false},"emailStorageKey":"","trustEmailStorage":false,"flowId":0,"startStep":0,"ticketTypeId":0,"agentChatVisibility":"","attachments":{},"ratingQuestion":"","language":"","defaultLanguage":"","createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"profile input", ChatProfileInput{ChatProfile: profile},
			`{"id":"p1","key":"k1","name":"Shop","access":"portal_and_external","appearance":{"colour":"#1f6feb","theme":"dark","title":"Help","greeting":"Hi!","launcherPosition":"bottom-left","iconUrl":"https://shop.example/i.png"},"allowedOrigins":["https://shop.example"],"identity":{"tokenRequired":true,"hs256Secrets":[{"kid":"h1","secret":"s"}],"publicKeys":[{"kid":"r1","alg":"RS256","pem":"-----BEGIN PUBLIC KEY-----"}],"issuer":"iss","audience":"aud","leewaySeconds":30,"maxTokenLifetimeSeconds":3600},"tokenMappings":{"email":"email","given_name":"firstname"},"availability":{"timeZone":"Europe/London","weekly":[{"weekday":1,"start":"09:00","end":"17:30"}],"holidays":[{"date":"2026-12-25","name":"Christmas"},{"date":"2026-12-26"}],"needsAgent":true,"hideWhenUnavailable":true},"emailStorageKey":"email","trustEmailStorage":true,"flowId":3,"startStep":2,"ticketTypeId":4,"agentChatVisibility":"queueAndOwn","attachments":{},"ratingQuestion":"off","language":"auto","defaultLanguage":"de","createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"profile key", ProfileKey{ID: "p1", Key: "k2"},
			`{"id":"p1","key":"k2"}`},
		{"profile as read (secrets kid only)", ChatProfile{Identity: IdentitySettings{HS256Secrets: []HMACSecret{{KID: "h1"}}}},
			`{"id":"","key":"","name":"","access":"","appearance":{},"allowedOrigins":null,"identity":{"tokenRequired":false,"hs256Secrets":[{"kid":"h1"}]},"tokenMappings":null,"availability":{"needsAgent":false},"emailStorageKey":"","trustEmailStorage":false,"flowId":0,"startStep":0,"ticketTypeId":0,"agentChatVisibility":"","attachments":{},"ratingQuestion":"","language":"","defaultLanguage":"","createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"profile secret input", ProfileSecretInput{KID: "h1"},
			`{"kid":"h1"}`},
		{"profile secret", ProfileSecret{ID: "p1", KID: "h1", Secret: "s2"},
			`{"id":"p1","kid":"h1","secret":"s2"}`},

		{"me", Me{ID: 7, Email: "sam@example.com", Name: "Sam", Role: "admin"},
			`{"id":7,"email":"sam@example.com","name":"Sam","role":"admin"}`},
		{"login", LoginRequest{Email: "sam@example.com", Password: "pw"},
			`{"email":"sam@example.com","password":"pw"}`},
		{"agent login", AgentLogin{Agent: Me{ID: 7, Email: "sam@example.com", Name: "Sam", Role: "admin"}, ExpiresIn: 43200, Token: "hcs_t"},
			`{"agent":{"id":7,"email":"sam@example.com","name":"Sam","role":"admin"},"expires_in":43200,"token":"hcs_t"}`},
		{"agent", agent,
			`{"id":7,"email":"sam@example.com","name":"Sam","role":"admin","presence":"online","disabled":true,"maxChats":5,"lastSeenAt":"2026-11-03T11:00:00.123Z","createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"agent never seen", Agent{ID: 7},
			`{"id":7,"email":"","name":"","role":"","presence":"","disabled":false,"maxChats":0,"lastSeenAt":null,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"agent input", AgentInput{Agent: agent, Password: "a long password"},
			`{"id":7,"email":"sam@example.com","name":"Sam","role":"admin","presence":"online","disabled":true,"maxChats":5,"lastSeenAt":"2026-11-03T11:00:00.123Z","createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","password":"a long password"}`},
		{"agent input without password", AgentInput{Agent: Agent{Name: "Sam"}},
			`{"id":0,"email":"","name":"Sam","role":"","presence":"","disabled":false,"maxChats":0,"lastSeenAt":null,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"api client", client,
			`{"id":8,"clientId":"crm","name":"CRM","permissions":["admin","users:write"],"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","profileIds":["p1"]}`},
		{"api client without permissions", APIClient{ID: 8},
			`{"id":8,"clientId":"","name":"","permissions":null,"disabled":false,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z","profileIds":null}`},
		{"api client with secret", APIClientWithSecret{APIClient: client, ClientSecret: "sec"},
			`{"id":8,"clientId":"crm","name":"CRM","permissions":["admin","users:write"],"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","profileIds":["p1"],"clientSecret":"sec"}`},
		{"api client input", APIClientInput{APIClient: client},
			`{"id":8,"clientId":"crm","name":"CRM","permissions":["admin","users:write"],"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","profileIds":["p1"]}`},

		{"user", user,
			`{"id":9,"email":"pat@example.com","externalId":"x9","username":"pat","firstName":"Pat","lastName":"Lee","phone":"+44 1","hasPassword":true,"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"user input", UserInput{User: user, Password: "a long password"},
			`{"id":9,"email":"pat@example.com","externalId":"x9","username":"pat","firstName":"Pat","lastName":"Lee","phone":"+44 1","hasPassword":true,"disabled":true,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","password":"a long password"}`},
		{"user input without password", UserInput{User: User{Email: "pat@example.com"}},
			`{"id":0,"email":"pat@example.com","externalId":"","username":"","firstName":"","lastName":"","phone":"","hasPassword":false,"disabled":false,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"matching data input", ChatMatchingDataInput{JSONContent: json.RawMessage(`{"firstname":"John"}`), SingleUse: true},
			`{"json_content":{"firstname":"John"},"single_use":true}`},
		{"matching data input bound to a profile", ChatMatchingDataInput{JSONContent: json.RawMessage(`{}`), ChatProfileID: "p1"},
			`{"json_content":{},"single_use":false,"chatprofile_id":"p1"}`},
		{"matching data", ChatMatchingData{GUID: "g", Key: "k", ExpiresAt: wireLater, SingleUse: true},
			`{"guid":"g","key":"k","expires_at":"2026-11-03T11:00:00.123Z","single_use":true}`},
	}
	return append(cases, portalAndChatWireCases()...)
}

// portalAndChatWireCases are the portal's, tickets', chats', fields' and flows' bodies.
func portalAndChatWireCases() []wireCase {
	portalUser := PortalUser{ID: 9, Email: "pat@example.com", FirstName: "Pat", LastName: "Lee", Name: "Pat Lee"}
	ticket := Ticket{ID: 11, TicketTypeID: 4, UserID: 9, ChatID: "c1", Summary: "Refund", Details: "visitor: hi",
		Status: "open", CreatedAt: wireTime, UpdatedAt: wireLater}
	chat := ChatState{ID: "c1", Status: ChatStatusEnded, LastSeq: 2}
	field := CustomField{ID: 5, Entity: "chat", CustomField: flow.CustomField{Name: "CFtier", Label: "Tier", Type: "choice",
		Choices: []flow.Choice{{Value: "gold", Label: "Gold"}, {Value: "silver"}}}, CreatedAt: wireTime, UpdatedAt: wireLater}
	ticketType := TicketType{ID: 4, Name: "Billing", FieldIDs: []int64{5}, Fields: []CustomField{field}, CreatedAt: wireTime, UpdatedAt: wireLater}
	chatFlow := ChatFlow{ID: 3, Name: "Sales", CurrentVersion: 2, CreatedAt: wireTime, UpdatedAt: wireLater}
	doc := json.RawMessage(`{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]}`)
	msg := ChatMessage{Seq: 1, From: FromVisitor, Text: "hi", CreatedAt: "2026-11-03T09:30:00Z"}
	return []wireCase{
		{"portal user", portalUser,
			`{"id":9,"email":"pat@example.com","firstName":"Pat","lastName":"Lee","name":"Pat Lee"}`},
		{"portal login", PortalLogin{ExpiresIn: 43200, User: portalUser},
			`{"expires_in":43200,"user":{"id":9,"email":"pat@example.com","firstName":"Pat","lastName":"Lee","name":"Pat Lee"}}`},
		{"portal token login", PortalTokenLoginRequest{ProfileID: "p1", IDToken: "eyJ"},
			`{"profileId":"p1","id_token":"eyJ"}`},
		{"portal me", PortalMe{User: &portalUser},
			`{"user":{"id":9,"email":"pat@example.com","firstName":"Pat","lastName":"Lee","name":"Pat Lee"}}`},
		{"portal me logged out", PortalMe{},
			`{"user":null}`},
		{"portal ticket", PortalTicket{ID: 11, Summary: "Refund", Status: "open", Type: "Billing", ChatID: "c1", CreatedAt: wireTime},
			`{"id":11,"summary":"Refund","status":"open","type":"Billing","chatId":"c1","createdAt":"2026-11-03T09:30:00.123Z"}`},
		{"portal profile", PortalProfile{ID: "p1", Key: "k1", Name: "Shop", Access: "portal", Colour: "teal"},
			`{"id":"p1","key":"k1","name":"Shop","access":"portal","colour":"teal"}`},
		{"portal profile without colour", PortalProfile{ID: "p1", Key: "k1", Name: "Shop", Access: "portal"},
			`{"id":"p1","key":"k1","name":"Shop","access":"portal"}`},

		{"ticket", ticket,
			`{"ID":11,"TicketTypeID":4,"UserID":9,"ChatID":"c1","Summary":"Refund","Details":"visitor: hi","Status":"open","CreatedAt":"2026-11-03T09:30:00.123Z","UpdatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"ticket list", TicketList{Tickets: []Ticket{ticket}},
			`{"tickets":[{"ID":11,"TicketTypeID":4,"UserID":9,"ChatID":"c1","Summary":"Refund","Details":"visitor: hi","Status":"open","CreatedAt":"2026-11-03T09:30:00.123Z","UpdatedAt":"2026-11-03T11:00:00.123Z"}]}`},
		{"ticket detail", TicketDetail{Ticket: ticket, Fields: []TicketField{{FieldID: 5, Name: "CForder", Label: "Order", Value: "42"}}},
			`{"ID":11,"TicketTypeID":4,"UserID":9,"ChatID":"c1","Summary":"Refund","Details":"visitor: hi","Status":"open","CreatedAt":"2026-11-03T09:30:00.123Z","UpdatedAt":"2026-11-03T11:00:00.123Z","fields":[{"field_id":5,"name":"CForder","label":"Order","value":"42"}]}`},
		{"chat list", ChatList{Chats: []ChatState{chat}},
			`{"chats":[{"id":"c1","status":"ended","startStep":0,"authenticated":false,"lastSeq":2}]}`},
		{"transcript", ChatTranscript{Chat: chat, Messages: []ChatMessage{msg}},
			`{"chat":{"id":"c1","status":"ended","startStep":0,"authenticated":false,"lastSeq":2},"messages":[{"seq":1,"from":"visitor","text":"hi","createdAt":"2026-11-03T09:30:00Z"}]}`},
		{"message list", MessageList{Messages: []ChatMessage{msg}},
			`{"messages":[{"seq":1,"from":"visitor","text":"hi","createdAt":"2026-11-03T09:30:00Z"}]}`},
		{"empty message list", MessageList{},
			`{"messages":null}`},
		{"agent message", AgentMessage{ChatID: "c1", ClientMsgID: "m1", Text: "hello"},
			`{"chat_id":"c1","client_msg_id":"m1","text":"hello"}`},
		{"agent typing", AgentTyping{ChatID: "c1", Typing: true},
			`{"chat_id":"c1","typing":true}`},
		{"custom field", field,
			`{"id":5,"entity":"chat","name":"CFtier","label":"Tier","type":"choice","choices":[{"value":"gold","label":"Gold"},{"value":"silver"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"custom field without choices", CustomField{ID: 6, Entity: "ticket", CustomField: flow.CustomField{Name: "CFnote", Label: "Note", Type: "text", Choices: []flow.Choice{}}},
			`{"id":6,"entity":"ticket","name":"CFnote","label":"Note","type":"text","choices":[],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"custom field input", CustomFieldInput{CustomField: field},
			`{"id":5,"entity":"chat","name":"CFtier","label":"Tier","type":"choice","choices":[{"value":"gold","label":"Gold"},{"value":"silver"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"ticket type", ticketType,
			`{"id":4,"name":"Billing","fieldIds":[5],"fields":[{"id":5,"entity":"chat","name":"CFtier","label":"Tier","type":"choice","choices":[{"value":"gold","label":"Gold"},{"value":"silver"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"ticket type without fields", TicketType{ID: 4, Name: "Billing", FieldIDs: []int64{}, Fields: []CustomField{}},
			`{"id":4,"name":"Billing","fieldIds":[],"fields":[],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"ticket type input", TicketTypeInput{TicketType: TicketType{Name: "Billing", FieldIDs: []int64{5, 6}}},
			`{"id":0,"name":"Billing","fieldIds":[5,6],"fields":null,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"flow", chatFlow,
			`{"id":3,"name":"Sales","currentVersion":2,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"flow detail", ChatFlowDetail{ChatFlow: chatFlow, Version: 2, Document: doc,
			Warnings: []flow.Problem{{Step: 2, Field: "next", Message: "no step reaches this one"}, {Message: "whole"}}},
			`{"id":3,"name":"Sales","currentVersion":2,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","version":2,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]},"warnings":[{"step":2,"field":"next","message":"no step reaches this one"},{"step":0,"message":"whole"}]}`},
		{"flow without a version", ChatFlowDetail{ChatFlow: ChatFlow{ID: 3, Name: "Sales"}, Document: json.RawMessage("null"), Warnings: []flow.Problem{}},
			`{"id":3,"name":"Sales","currentVersion":0,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z","version":0,"document":null,"warnings":[]}`},
		{"flow version", ChatFlowVersion{FlowID: 3, Version: 1, Document: doc, CreatedAt: wireTime},
			`{"flowId":3,"version":1,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]},"createdAt":"2026-11-03T09:30:00.123Z"}`},
		{"flow create", ChatFlowCreate{Name: "Sales", Document: doc},
			`{"name":"Sales","document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]}}`},
		{"flow create without a document", ChatFlowCreate{Name: "Sales"},
			`{"name":"Sales"}`},
		{"flow save", ChatFlowSave{BaseVersion: 2, Document: doc, Name: "Sales 2"},
			`{"baseVersion":2,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]},"name":"Sales 2"}`},
		{"flow save keeping the name", ChatFlowSave{BaseVersion: 0, Document: doc},
			`{"baseVersion":0,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]}}`},
		{"upgrade", UpgradeRequest{IDToken: "eyJ"},
			`{"id_token":"eyJ"}`},
	}
}

// TestAdminWireJSON: every API body marshals to the JSON the API has
// always answered, and that JSON decodes back to the same value (the
// console decodes answers and sends inputs with these very types).
func TestAdminWireJSON(t *testing.T) {
	for _, c := range adminWireCases() {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("JSON\n got %s\nwant %s", b, c.want)
			}
			back := reflect.New(reflect.TypeOf(c.v))
			if err := json.Unmarshal([]byte(c.want), back.Interface()); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := back.Elem().Interface(); !reflect.DeepEqual(got, c.v) {
				t.Errorf("decoded\n got %+v\nwant %+v", got, c.v)
			}
		})
	}
}
