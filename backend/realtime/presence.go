package realtime

import (
	"context"

	"halochat/backend/store"
	"halochat/backend/tick"
)

// presenceEvery is how often a node tells the store it still holds its
// agents' consoles: well within store.PresenceTTL.
const presenceEvery = store.PresenceTTL / 3

// touchAgents keeps the agents connected to this node online until ctx
// ends; if the node dies, they stop counting after store.PresenceTTL.
func (s *Server) touchAgents(ctx context.Context) {
	tick.Every(ctx, presenceEvery, func(ctx context.Context) {
		s.agentMu.Lock()
		ids := make([]int64, 0, len(s.agentConns))
		for id := range s.agentConns {
			ids = append(ids, id)
		}
		s.agentMu.Unlock()
		if err := s.cfg.Chats.TouchAgents(ctx, s.cfg.Node, ids); err != nil && ctx.Err() == nil {
			s.log.Warn("refresh agent presence", "err", err)
		}
	})
}
