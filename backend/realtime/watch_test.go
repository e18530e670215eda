package realtime

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"halochat/backend/chats"
)

// A connection subscribing to chats while events of those chats are
// published must not deadlock: the broker calls subscribers under its
// lock, and subscribers take the connection's lock.
func TestWatchingWhilePublishingDoesNotDeadlock(t *testing.T) {
	b := NewLocal()
	srv := &Server{cfg: Config{Broker: b}, lim: Limits{SendBuffer: 1 << 20}}
	conns := make([]*conn, 4)
	for i := range conns {
		// writing: true keeps push from starting a writer (there is no
		// socket); events just queue.
		conns[i] = &conn{srv: srv, writing: true}
	}
	const chatsN = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range 20 * chatsN {
					i := k % chatsN
					c.watch(fmt.Sprint("chat", i), 0)
					if i%3 == 0 {
						c.unwatch(fmt.Sprint("chat", i-1))
					}
				}
			}()
		}
		stop := make(chan struct{})
		var pub sync.WaitGroup
		for range 2 {
			pub.Add(1)
			go func() {
				defer pub.Done()
				for k := 0; ; k++ {
					select {
					case <-stop:
						return
					default:
					}
					i := k % chatsN
					b.Publish(chats.Event{Topic: chats.ChatTopic(fmt.Sprint("chat", i)), ChatID: fmt.Sprint("chat", i)})
				}
			}()
		}
		wg.Wait()
		close(stop)
		pub.Wait()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("watch and publish deadlocked")
	}
	for _, c := range conns {
		c.mu.Lock()
		var ids []string
		for id := range c.watches {
			ids = append(ids, id)
		}
		c.mu.Unlock()
		for _, id := range ids {
			c.unwatch(id)
		}
	}
	if n := len(b.Topics()); n != 0 {
		t.Fatalf("%d topics still subscribed after every watch ended", n)
	}
}
