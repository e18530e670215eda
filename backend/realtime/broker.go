// Package realtime delivers a chat's committed messages, typing
// indicators and agent queue changes to the connections that want them:
// the visitor and agent websockets, and the long-poll transport of
// chatMode "heartbeat".
//
// The database is the log and an event only a hint: every connection
// remembers the last seq it delivered per chat, and whenever an event
// does not continue that sequence (a hint from another node, a gap, a
// (re)subscribe) it reads the missing messages from the store. So a
// message is delivered once and in order however events arrive.
//
// A Broker fans events out: Local within one process, PG across nodes
// through PostgreSQL LISTEN/NOTIFY (coalesced per node, after commit).
package realtime

import (
	"sync"

	"halochat/backend/chats"
)

// Broker delivers published events to this node's subscribers (and, for
// a cluster broker, to other nodes' subscribers as hints).
type Broker interface {
	chats.Publisher
	// Subscribe calls fn with every event of topic until cancel is
	// called. fn must not block (queue and return).
	Subscribe(topic string, fn func(chats.Event)) (cancel func())
}

// Local is the in-process broker of a single node.
//
// A topic has few subscribers (a chat: its visitor's socket and an
// agent's console or two; the queue: the online consoles), so each holds
// a slice: an idle chat's subscription costs a slice's few words, not a
// map of its own.
type Local struct {
	mu   sync.RWMutex
	subs map[string][]*subscription
}

type subscription struct {
	b     *Local
	topic string
	fn    func(chats.Event)
}

// NewLocal returns an in-process broker.
func NewLocal() *Local { return &Local{subs: map[string][]*subscription{}} }

// Publish implements chats.Publisher.
func (b *Local) Publish(ev chats.Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, s := range b.subs[ev.Topic] {
		s.fn(ev)
	}
}

// Subscribe implements Broker.
func (b *Local) Subscribe(topic string, fn func(chats.Event)) func() {
	s := &subscription{b: b, topic: topic, fn: fn}
	b.mu.Lock()
	b.subs[topic] = append(b.subs[topic], s)
	b.mu.Unlock()
	return s.cancel
}

// cancel removes the subscription (a second call does nothing).
func (s *subscription) cancel() {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	list := b.subs[s.topic]
	for i, x := range list {
		if x != s {
			continue
		}
		if len(list) == 1 {
			delete(b.subs, s.topic)
			return
		}
		last := len(list) - 1
		list[i], list[last] = list[last], nil
		b.subs[s.topic] = list[:last]
		return
	}
}

// Topics returns the topics with at least one subscriber.
func (b *Local) Topics() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]string, 0, len(b.subs))
	for t := range b.subs {
		out = append(out, t)
	}
	return out
}
