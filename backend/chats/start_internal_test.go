package chats

import (
	"hash/maphash"
	"reflect"
	"testing"
	"time"

	"halochat/app/flow"
	"halochat/app/protocol"
	"halochat/backend/store"
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

// TestWireMemoIsWireMessages: the start's answer through the memo is what
// WireMessages makes of the same messages, for payloads seen before and
// new ones, and each message keeps its own fields.
func TestWireMemoIsWireMessages(t *testing.T) {
	at := time.Date(2026, 12, 7, 4, 50, 0, 123000, time.UTC)
	choices := payload(protocol.ChatMessage{Step: 2, Choices: []string{"Sales", "Support"}})
	asked := payload(protocol.ChatMessage{Step: 3, Prompt: &protocol.Prompt{Required: true, Type: "email"}})
	var w wireMemo
	for _, ms := range [][]store.Message{
		{{Seq: 1, Sender: store.SenderBot, Text: "Hello", CreatedAt: at}, {Seq: 2, Sender: store.SenderBot, Text: "Which team?", Payload: choices, CreatedAt: at}},
		{{Seq: 1, Sender: store.SenderBot, Text: "Hallo", CreatedAt: at.Add(time.Second)}, {Seq: 2, Sender: store.SenderBot, Text: "Welches Team?", Payload: choices, CreatedAt: at.Add(time.Second)}},
		{{Seq: 5, Sender: store.SenderBot, Text: "Your e-mail?", Payload: asked, CreatedAt: at}, {Seq: 6, Sender: store.SenderBot, Text: "broken", Payload: store.RawJSON(`{"step":`), CreatedAt: at}},
		{{Seq: 7, Sender: store.SenderBot, Text: "Your e-mail, again?", Payload: asked, CreatedAt: at.Add(time.Minute)}},
	} {
		got, want := w.wire(ms), WireMessages(ms)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("through the memo:\n%+v\nWireMessages:\n%+v", got, want)
		}
	}
	if len(w.m) != 3 {
		t.Errorf("the memo holds %d payloads, want the 3 seen", len(w.m))
	}
}
