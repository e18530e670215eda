package realtime

import (
	"encoding/json"
	"strings"
	"testing"

	"halochat/backend/store"
)

func TestPGPayloadsCarryMessagesThatFit(t *testing.T) {
	b := NewPG(PGOptions{})
	small := []store.Message{{ChatID: "a", Seq: 2, Sender: store.SenderAgent, Text: "second"}, {ChatID: "a", Seq: 1, Sender: store.SenderVisitor, Text: "first"}}
	big := []store.Message{{ChatID: "b", Seq: 1, Sender: store.SenderVisitor, Text: strings.Repeat("x", maxPayload)}}
	many := map[string]struct{}{"chat:a": {}, "chat:b": {}, "queue": {}}
	for i := range 300 { // enough topics to need several notifications
		many["chat:n"+strings.Repeat("0", 20)+string(rune('a'+i%26))+string(rune('a'+i/26))] = struct{}{}
	}
	out := b.payloads(many, map[string][]store.Message{"chat:a": small, "chat:b": big}, []pgTyping{{Chat: "a", From: "agent", On: true}})
	if len(out) < 2 {
		t.Fatalf("%d notifications for %d topics, want them split", len(out), len(many))
	}
	seen := map[string]bool{}
	carried := false
	for _, p := range out {
		if len(p) > maxPayload {
			t.Fatalf("a notification of %d bytes (limit %d)", len(p), maxPayload)
		}
		if !strings.HasPrefix(p, b.ownPrefix()) || strings.HasPrefix(p, (&PG{node: b.node + "x"}).ownPrefix()) {
			t.Fatalf("notification %.60q… does not begin with its node's own prefix %q", p, b.ownPrefix())
		}
		var got pgPayload
		if err := json.Unmarshal([]byte(p), &got); err != nil {
			t.Fatal(err)
		}
		for _, topic := range got.Topics {
			if seen[topic] {
				t.Fatalf("topic %s sent twice", topic)
			}
			seen[topic] = true
		}
		if m, ok := got.Messages["chat:a"]; ok {
			if len(m) != 2 || m[0].Seq != 1 || m[1].Seq != 2 || m[0].Text != "first" {
				t.Fatalf("chat a's messages = %+v, want seqs 1, 2 in order", m)
			}
			carried = true
		}
		if _, ok := got.Messages["chat:b"]; ok {
			t.Fatal("a message too large for a notification was carried; it must be a hint")
		}
	}
	if !carried {
		t.Fatal("chat a's two small messages were not carried")
	}
	if len(seen) != len(many) {
		t.Fatalf("%d of %d topics sent", len(seen), len(many))
	}
	if !seen["chat:a"] || !seen["chat:b"] {
		t.Fatal("a topic with messages went missing")
	}
}
