package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"halochat/backend/testenv"
)

// BenchmarkSQLiteMessageCommit: messages appended to live chats of a
// SQLite file (AppendIf, each its own transaction, as a visitor's
// message is), 8 senders at once, with synchronous FULL (the default:
// the WAL synced at every commit) and NORMAL (synced at checkpoints). It
// prices the durability of an acknowledged message against a power loss.
//
//	go test ./backend/store -run '^$' -bench SQLiteMessageCommit -benchtime 2000x
func BenchmarkSQLiteMessageCommit(b *testing.B) {
	for _, sync := range []string{SQLiteSyncFull, SQLiteSyncNormal} {
		b.Run("sync="+sync, func(b *testing.B) {
			ctx := context.Background()
			s, err := OpenWithOptions(ctx, testenv.SQLiteDSN(b), Options{SQLiteSync: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			p := &ChatProfile{Name: "bench", Access: AccessPortalAndExternal}
			if err := s.CreateProfile(ctx, p); err != nil {
				b.Fatal(err)
			}
			const senders = 8
			chats := make([]string, senders)
			for i := range chats {
				c := &Chat{ProfileID: p.ID, Context: ContextEmbedded, Status: ChatLive}
				if err := s.CreateChat(ctx, c, nil); err != nil {
					b.Fatal(err)
				}
				chats[i] = c.ID
			}
			var next, n atomic.Int64
			b.SetParallelism(senders) // GOMAXPROCS × 8 goroutines, over the 8 chats
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				chat := chats[next.Add(1)%senders]
				for pb.Next() {
					i := n.Add(1)
					if _, err := s.AppendIf(ctx, chat, AppendCond{NotEnded: true},
						Message{Sender: SenderVisitor, ClientMsgID: fmt.Sprint("m", i), Text: "a message"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
