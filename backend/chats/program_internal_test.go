package chats

import (
	"hash/maphash"
	"testing"

	"halochat/app/flow"
)

// TestSchemaHashTellsSchemasApart: the program cache's key changes with
// every part of the schema a flow is compiled against, and only with it.
func TestSchemaHashTellsSchemasApart(t *testing.T) {
	tier := flow.FieldDef{Name: "CFtier", Label: "Tier", Type: flow.TypeChoice, Choices: []string{"gold", "silver"}}
	note := flow.FieldDef{Name: "CFnote", Label: "Note", Type: flow.TypeText}
	base := flow.Schema{ChatFields: []flow.FieldDef{tier, note}}
	with := func(f func(*flow.FieldDef)) flow.Schema {
		d := tier
		d.Choices = append([]string(nil), tier.Choices...)
		f(&d)
		return flow.Schema{ChatFields: []flow.FieldDef{d, note}}
	}
	others := []struct {
		name string
		sc   flow.Schema
	}{
		{"no fields", flow.Schema{}},
		{"one field fewer", flow.Schema{ChatFields: []flow.FieldDef{tier}}},
		{"the fields in another order", flow.Schema{ChatFields: []flow.FieldDef{note, tier}}},
		{"another name", with(func(d *flow.FieldDef) { d.Name = "CFlevel" })},
		{"another label", with(func(d *flow.FieldDef) { d.Label = "Level" })},
		{"another type", with(func(d *flow.FieldDef) { d.Type = flow.TypeText; d.Choices = nil })},
		{"a choice more", with(func(d *flow.FieldDef) { d.Choices = append(d.Choices, "bronze") })},
		{"a choice renamed", with(func(d *flow.FieldDef) { d.Choices[1] = "silver2" })},
		{"the same bytes split elsewhere", with(func(d *flow.FieldDef) { d.Choices = []string{"golds", "ilver"} })},
		{"a label moved into the name", with(func(d *flow.FieldDef) { d.Name, d.Label = "CFtierT", "ier" })},
	}
	seed := maphash.MakeSeed()
	h := schemaHash(seed, base)
	if again := schemaHash(seed, with(func(*flow.FieldDef) {})); again != h {
		t.Fatalf("an equal schema hashes to %x, the first to %x", again, h)
	}
	for _, o := range others {
		if schemaHash(seed, o.sc) == h {
			t.Errorf("%s: the same hash as the schema it differs from", o.name)
		}
	}
}
