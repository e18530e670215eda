package chats

import (
	"reflect"
	"testing"

	"halochat/app/flow"
	"halochat/backend/identity"
	"halochat/backend/store"
)

// TestFlowSchemaEqualsTheEngines proves flow.SchemaOf gives the schema
// FlowSchema gave, and a stored field's FieldDef the definition
// identity.FieldDef gave, before those copies go.
func TestFlowSchemaEqualsTheEngines(t *testing.T) {
	tests := []struct {
		name string
		defs []store.CustomField
	}{
		{"no fields", nil},
		{"no fields, empty list", []store.CustomField{}},
		{"a text field", []store.CustomField{{ID: 1, Entity: store.EntityChat, Name: "CFregion", Label: "Region", Type: store.FieldText}}},
		{"a choice field with labels", []store.CustomField{{ID: 2, Entity: store.EntityChat, Name: "CFcustomerTier", Label: "Customer Tier", Type: store.FieldChoice,
			Choices: store.Choices{{Value: "gold", Label: "Gold"}, {Value: "silver"}, {Value: "bronze", Label: "Bronze tier"}}}}},
		{"every type, in order", []store.CustomField{
			{Name: "CFn", Label: "N", Type: store.FieldNumber},
			{Name: "CFb", Label: "B", Type: store.FieldBoolean},
			{Name: "CFd", Label: "D", Type: store.FieldDate},
			{Name: "CFc", Label: "C", Type: store.FieldChoice, Choices: store.Choices{{Value: "x"}}},
			{Name: "CFt", Label: "T", Type: store.FieldText, Choices: store.Choices{}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, got := FlowSchema(tt.defs), flow.SchemaOf(tt.defs)
			if !reflect.DeepEqual(old, got) {
				t.Errorf("flow.SchemaOf = %#v, FlowSchema = %#v", got, old)
			}
			for _, d := range tt.defs {
				if old, got := identity.FieldDef(d), d.FieldDef(); !reflect.DeepEqual(old, got) {
					t.Errorf("store.CustomField.FieldDef = %#v, identity.FieldDef = %#v", got, old)
				}
			}
		})
	}
}
