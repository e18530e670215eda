package console

import (
	"encoding/json"
	"reflect"
	"testing"

	"halochat/app/flow"
)

// TestSchemaOfEqualsTheEngines proves flow.SchemaOf gives the schema the
// console's schemaOf gave, from the same API answer, before schemaOf goes.
func TestSchemaOfEqualsTheEngines(t *testing.T) {
	tests := []struct {
		name   string
		answer string // GET /api/CustomField?entity=chat
	}{
		{"no fields", `[]`},
		{"a text field", `[{"id":1,"entity":"chat","name":"CFregion","label":"Region","type":"text","choices":[]}]`},
		{"a choice field", `[{"id":2,"entity":"chat","name":"CFcustomerTier","label":"Customer Tier","type":"choice",
			"choices":[{"value":"gold","label":"Gold"},{"value":"silver"},{"value":"bronze","label":""}],"createdAt":"2026-01-02T03:04:05Z"}]`},
		{"every type, in order", `[{"name":"CFn","label":"N","type":"number"},{"name":"CFb","label":"B","type":"boolean"},
			{"name":"CFd","label":"D","type":"date"},{"name":"CFc","label":"C","type":"choice","choices":[{"value":"x"}]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields []customField
			if err := json.Unmarshal([]byte(tt.answer), &fields); err != nil {
				t.Fatal(err)
			}
			old, got := schemaOf(fields), flow.SchemaOf(fields)
			if !reflect.DeepEqual(old, got) {
				t.Errorf("flow.SchemaOf = %#v, schemaOf = %#v", got, old)
			}
		})
	}
}
