package flow_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"halochat/app/flow"
)

func TestSchemaOfTheAPIsCustomFields(t *testing.T) {
	tests := []struct {
		name   string
		answer string // GET /api/CustomField?entity=chat, as the console decodes it
		want   flow.Schema
	}{
		{"no fields", `[]`, flow.Schema{}},
		{"a text field has no choices", `[{"name":"CFregion","label":"Region","type":"text","choices":[]}]`,
			flow.Schema{ChatFields: []flow.FieldDef{{Name: "CFregion", Label: "Region", Type: flow.TypeText}}}},
		{"a choice field keeps its values in order, not their labels",
			`[{"name":"CFcustomerTier","label":"Customer Tier","type":"choice","choices":[{"value":"gold","label":"Gold"},{"value":"silver"},{"value":"bronze","label":"Bronze tier"}]}]`,
			flow.Schema{ChatFields: []flow.FieldDef{{Name: "CFcustomerTier", Label: "Customer Tier", Type: flow.TypeChoice, Choices: []string{"gold", "silver", "bronze"}}}}},
		{"fields stay in the answer's order",
			`[{"name":"CFn","label":"N","type":"number"},{"name":"CFb","label":"B","type":"boolean"},{"name":"CFd","label":"D","type":"date"}]`,
			flow.Schema{ChatFields: []flow.FieldDef{{Name: "CFn", Label: "N", Type: flow.TypeNumber}, {Name: "CFb", Label: "B", Type: flow.TypeBoolean}, {Name: "CFd", Label: "D", Type: flow.TypeDate}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fields []flow.CustomField
			if err := json.Unmarshal([]byte(tt.answer), &fields); err != nil {
				t.Fatal(err)
			}
			if got := flow.SchemaOf(fields); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SchemaOf = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCustomFieldChecksAChoiceByValue(t *testing.T) {
	tier := flow.CustomField{Name: "CFcustomerTier", Label: "Customer Tier", Type: "choice",
		Choices: []flow.Choice{{Value: "gold", Label: "Gold"}, {Value: "silver", Label: "Silver"}}}
	tests := []struct {
		in    string
		valid bool
	}{{"gold", true}, {"silver", true}, {"Gold", false}, {"platinum", false}}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := tier.FieldDef().Parse(tt.in)
			if (err == nil) != tt.valid {
				t.Errorf("Parse(%q) = %v, want valid %v", tt.in, err, tt.valid)
			}
		})
	}
}
