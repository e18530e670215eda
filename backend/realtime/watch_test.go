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
		ids := c.watches.ids()
		c.mu.Unlock()
		for _, id := range ids {
			c.unwatch(id)
		}
	}
	if n := len(b.Topics()); n != 0 {
		t.Fatalf("%d topics still subscribed after every watch ended", n)
	}
}

// A watch set keeps its first chat inline and the others in a map; each
// is found, removed and added again wherever it is kept.
func TestWatchSet(t *testing.T) {
	var s watchSet
	a, b, c := &watch{last: 1}, &watch{last: 2}, &watch{last: 3}
	steps := []struct {
		do   func()
		want map[string]*watch
	}{
		{func() {}, map[string]*watch{}},
		{func() { s.add("a", a) }, map[string]*watch{"a": a}},
		{func() { s.add("b", b) }, map[string]*watch{"a": a, "b": b}},
		{func() { s.add("c", c) }, map[string]*watch{"a": a, "b": b, "c": c}},
		{func() {
			if w := s.remove("a"); w != a {
				t.Errorf("remove a = %v", w)
			}
		}, map[string]*watch{"b": b, "c": c}},
		{func() { s.add("a", a) }, map[string]*watch{"a": a, "b": b, "c": c}},
		{func() {
			if w := s.remove("c"); w != c {
				t.Errorf("remove c = %v", w)
			}
			if w := s.remove("zz"); w != nil {
				t.Errorf("remove zz = %v", w)
			}
		}, map[string]*watch{"a": a, "b": b}},
	}
	for i, st := range steps {
		st.do()
		for id, w := range st.want {
			if got := s.get(id); got != w {
				t.Errorf("step %d: get(%s) = %v, want %v", i, id, got, w)
			}
		}
		if len(s.ids()) != len(st.want) || len(s.all()) != len(st.want) {
			t.Errorf("step %d: ids %v, %d watches; want %d", i, s.ids(), len(s.all()), len(st.want))
		}
		for _, id := range s.ids() {
			if st.want[id] == nil {
				t.Errorf("step %d: %s is still watched", i, id)
			}
		}
	}
}
