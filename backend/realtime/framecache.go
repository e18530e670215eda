package realtime

import (
	"encoding/json"
	"fmt"
	"sync"

	"halochat/app/protocol"
	"halochat/backend/chats"
	"halochat/backend/store"
)

// frameCacheSize is how many recent message frames a node keeps encoded.
const frameCacheSize = 4096

// frameCache holds the encoded message frames of the newest messages:
// every socket that follows a chat (the visitor's, the agent's) sends the
// same bytes for a message, so it is encoded once. A stored message never
// changes, so an entry never goes stale; the oldest go first.
type frameCache struct {
	mu   sync.Mutex
	m    map[frameKey][]byte
	ring []frameKey // insertion order, for eviction
	next int
}

type frameKey struct {
	chat string
	seq  int64
}

// get returns message m of chat chatID as an encoded frame.
func (fc *frameCache) get(chatID string, m store.Message) ([]byte, error) {
	k := frameKey{chatID, m.Seq}
	fc.mu.Lock()
	b, ok := fc.m[k]
	fc.mu.Unlock()
	if ok {
		return b, nil
	}
	wm := chats.WireMessage(m)
	b, err := json.Marshal(protocol.Frame{V: protocol.ProtocolVersion, Type: protocol.FrameMessage, ChatID: chatID, Message: &wm})
	if err != nil {
		return nil, fmt.Errorf("encode message %d of chat %s: %w", m.Seq, chatID, err)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if _, ok := fc.m[k]; ok {
		return b, nil
	}
	if fc.m == nil {
		fc.m = make(map[frameKey][]byte, frameCacheSize)
		fc.ring = make([]frameKey, frameCacheSize)
	}
	if old := fc.ring[fc.next]; old.chat != "" {
		delete(fc.m, old)
	}
	fc.ring[fc.next] = k
	fc.next = (fc.next + 1) % len(fc.ring)
	fc.m[k] = b
	return b, nil
}
