package flow

// CustomField is a chat custom field's definition as the REST API shows it
// (GET /api/CustomField) and the store keeps it, less what the engine does
// not read (id, entity, times). The server builds the schema it validates
// and runs flows against from its rows, and the console the schema of its
// flow preview and token tester from the API's answer: both through
// [SchemaOf], so the browser checks exactly what the server will.
type CustomField struct {
	Name    string   `json:"name"`  // database name, e.g. CFcustomerTier
	Label   string   `json:"label"` // e.g. "Customer tier"
	Type    string   `json:"type"`  // a [Type]'s name
	Choices []Choice `json:"choices"`
}

// Choice is one option of a single choice custom field: Value is what
// claims, answers and criteria are compared with, Label what a person
// reads.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

// FieldDef is the field as the engine checks values against it: a choice
// field's values, in order.
func (f CustomField) FieldDef() FieldDef {
	d := FieldDef{Name: f.Name, Label: f.Label, Type: Type(f.Type)}
	for _, c := range f.Choices {
		d.Choices = append(d.Choices, c.Value)
	}
	return d
}

// FieldDefiner is a custom field as some part of the service holds it (a
// store row, a decoded API answer) that can say what the engine needs.
type FieldDefiner interface {
	FieldDef() FieldDef
}

// SchemaOf is the schema of the given chat custom fields, in their order.
func SchemaOf[F FieldDefiner](fields []F) Schema {
	var s Schema
	for _, f := range fields {
		s.ChatFields = append(s.ChatFields, f.FieldDef())
	}
	return s
}
