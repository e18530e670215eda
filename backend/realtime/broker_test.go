package realtime

import (
	"slices"
	"testing"

	"halochat/backend/chats"
)

// Subscribers get their topic's events until they cancel; a second cancel
// does nothing; a topic without subscribers is forgotten.
func TestLocalSubscribeAndCancel(t *testing.T) {
	b := NewLocal()
	got := map[string]int{}
	sub := func(name, topic string) func() {
		return b.Subscribe(topic, func(chats.Event) { got[name]++ })
	}
	cancelA := sub("a", "chat:1")
	cancelB := sub("b", "chat:1")
	cancelC := sub("c", "chat:1")
	cancelQ := sub("q", "queue")

	steps := []struct {
		name   string
		do     func()
		want   map[string]int
		topics []string
	}{
		{"all subscribed", func() {}, map[string]int{"a": 1, "b": 1, "c": 1, "q": 1}, []string{"chat:1", "queue"}},
		{"b cancelled", cancelB, map[string]int{"a": 1, "c": 1, "q": 1}, []string{"chat:1", "queue"}},
		{"b cancelled again", cancelB, map[string]int{"a": 1, "c": 1, "q": 1}, []string{"chat:1", "queue"}},
		{"a cancelled", cancelA, map[string]int{"c": 1, "q": 1}, []string{"chat:1", "queue"}},
		{"c cancelled: the topic is gone", cancelC, map[string]int{"q": 1}, []string{"queue"}},
		{"q cancelled", cancelQ, map[string]int{}, []string{}},
	}
	for _, st := range steps {
		st.do()
		clear(got)
		b.Publish(chats.Event{Topic: "chat:1"})
		b.Publish(chats.Event{Topic: "queue"})
		for name, n := range st.want {
			if got[name] != n {
				t.Errorf("%s: %s got %d events, want %d (all: %v)", st.name, name, got[name], n, got)
			}
		}
		if len(got) != len(st.want) {
			t.Errorf("%s: events went to %v, want %v", st.name, got, st.want)
		}
		topics := b.Topics()
		slices.Sort(topics)
		if !slices.Equal(topics, st.topics) {
			t.Errorf("%s: topics %v, want %v", st.name, topics, st.topics)
		}
	}
}
