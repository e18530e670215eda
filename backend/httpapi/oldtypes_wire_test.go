package httpapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/backend/httpapi"
	"halochat/backend/store"
)

// TestOldFieldAndFlowTypesWireJSON marshals the API's own custom field,
// ticket type and flow bodies with the representative values of
// app/protocol's TestAdminWireJSON and compares with the JSON that test
// expects of app/protocol's types: the shared types answer what these
// answered. Removed with the old types.
func TestOldFieldAndFlowTypesWireJSON(t *testing.T) {
	wireTime := time.Date(2026, 11, 3, 9, 30, 0, 123000000, time.UTC)
	wireLater := wireTime.Add(90 * time.Minute)
	field := httpapi.CustomFieldJSON{ID: 5, Entity: "chat", Name: "CFtier", Label: "Tier", Type: "choice",
		Choices: []store.Choice{{Value: "gold", Label: "Gold"}, {Value: "silver"}}, CreatedAt: wireTime, UpdatedAt: wireLater}
	ticketType := httpapi.TicketTypeJSON{ID: 4, Name: "Billing", FieldIDs: []int64{5}, Fields: []httpapi.CustomFieldJSON{field}, CreatedAt: wireTime, UpdatedAt: wireLater}
	chatFlow := httpapi.ChatFlowJSON{ID: 3, Name: "Sales", CurrentVersion: 2, CreatedAt: wireTime, UpdatedAt: wireLater}
	doc := json.RawMessage(`{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]}`)
	for _, c := range []struct {
		name string
		old  any
		want string
	}{
		{"custom field", field,
			`{"id":5,"entity":"chat","name":"CFtier","label":"Tier","type":"choice","choices":[{"value":"gold","label":"Gold"},{"value":"silver"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"custom field without choices", httpapi.CustomFieldJSON{ID: 6, Entity: "ticket", Name: "CFnote", Label: "Note", Type: "text", Choices: []store.Choice{}},
			`{"id":6,"entity":"ticket","name":"CFnote","label":"Note","type":"text","choices":[],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"custom field input", httpapi.CustomFieldInput{CustomFieldJSON: field},
			`{"id":5,"entity":"chat","name":"CFtier","label":"Tier","type":"choice","choices":[{"value":"gold","label":"Gold"},{"value":"silver"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"ticket type", ticketType,
			`{"id":4,"name":"Billing","fieldIds":[5],"fields":[{"id":5,"entity":"chat","name":"CFtier","label":"Tier","type":"choice","choices":[{"value":"gold","label":"Gold"},{"value":"silver"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}],"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"ticket type without fields", httpapi.TicketTypeJSON{ID: 4, Name: "Billing", FieldIDs: []int64{}, Fields: []httpapi.CustomFieldJSON{}},
			`{"id":4,"name":"Billing","fieldIds":[],"fields":[],"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"ticket type input", httpapi.TicketTypeInput{TicketTypeJSON: httpapi.TicketTypeJSON{Name: "Billing", FieldIDs: []int64{5, 6}}},
			`{"id":0,"name":"Billing","fieldIds":[5,6],"fields":null,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z"}`},
		{"flow", chatFlow,
			`{"id":3,"name":"Sales","currentVersion":2,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z"}`},
		{"flow detail", httpapi.ChatFlowDetail{ChatFlowJSON: chatFlow, Version: 2, Document: doc,
			Warnings: []flow.Problem{{Step: 2, Field: "next", Message: "no step reaches this one"}, {Message: "whole"}}},
			`{"id":3,"name":"Sales","currentVersion":2,"createdAt":"2026-11-03T09:30:00.123Z","updatedAt":"2026-11-03T11:00:00.123Z","version":2,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]},"warnings":[{"step":2,"field":"next","message":"no step reaches this one"},{"step":0,"message":"whole"}]}`},
		{"flow without a version", httpapi.ChatFlowDetail{ChatFlowJSON: httpapi.ChatFlowJSON{ID: 3, Name: "Sales"}, Document: json.RawMessage("null"), Warnings: []flow.Problem{}},
			`{"id":3,"name":"Sales","currentVersion":0,"createdAt":"0001-01-01T00:00:00Z","updatedAt":"0001-01-01T00:00:00Z","version":0,"document":null,"warnings":[]}`},
		{"flow version", httpapi.ChatFlowVersionJSON{FlowID: 3, Version: 1, Document: doc, CreatedAt: wireTime},
			`{"flowId":3,"version":1,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]},"createdAt":"2026-11-03T09:30:00.123Z"}`},
		{"flow create", httpapi.ChatFlowCreate{Name: "Sales", Document: doc},
			`{"name":"Sales","document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]}}`},
		{"flow create without a document", httpapi.ChatFlowCreate{Name: "Sales"},
			`{"name":"Sales"}`},
		{"flow save", httpapi.ChatFlowSave{BaseVersion: 2, Document: doc, Name: "Sales 2"},
			`{"baseVersion":2,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]},"name":"Sales 2"}`},
		{"flow save keeping the name", httpapi.ChatFlowSave{BaseVersion: 0, Document: doc},
			`{"baseVersion":0,"document":{"name":"Sales","startStep":1,"nextStepNumber":2,"steps":[]}}`},
	} {
		b, err := json.Marshal(c.old)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%s: the old type's JSON\n got %s\nwant %s", c.name, b, c.want)
		}
	}
}
