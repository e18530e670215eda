package realtime

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/store"
)

// A message's frame is encoded once and is the frame send would write;
// the oldest entries make way for new ones.
func TestFrameCache(t *testing.T) {
	var fc frameCache
	m := store.Message{ChatID: "c1", Seq: 7, Sender: store.SenderAgent, AgentID: 3, Text: "hi",
		Payload: store.RawJSON(`{"agentName":"Ann"}`), CreatedAt: time.Date(2026, 11, 25, 12, 0, 0, 5, time.UTC)}
	a, err := fc.get("c1", m)
	if err != nil {
		t.Fatal(err)
	}
	var f protocol.Frame
	if err := json.Unmarshal(a, &f); err != nil {
		t.Fatal(err)
	}
	if f.V != protocol.ProtocolVersion || f.Type != protocol.FrameMessage || f.ChatID != "c1" || f.Message == nil ||
		f.Message.Seq != 7 || f.Message.Text != "hi" || f.Message.AgentName != "Ann" || f.Message.From != store.SenderAgent {
		t.Fatalf("frame %s", a)
	}
	b, _ := fc.get("c1", m)
	if &a[0] != &b[0] {
		t.Fatal("the second get encoded the frame again")
	}
	other, _ := fc.get("c2", m)
	if &other[0] == &a[0] {
		t.Fatal("another chat's message shares the frame")
	}
	for i := range frameCacheSize {
		if _, err := fc.get(fmt.Sprint("x", i), m); err != nil {
			t.Fatal(err)
		}
	}
	if len(fc.m) != frameCacheSize {
		t.Fatalf("%d entries, want at most %d", len(fc.m), frameCacheSize)
	}
	if _, ok := fc.m[frameKey{"c1", 7}]; ok {
		t.Fatal("the oldest entry is still there")
	}
}
