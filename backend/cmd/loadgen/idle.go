package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
)

// IdleReport is what an -idle run measured: open chats held by one node
// and the node's memory for them.
type IdleReport struct {
	Chats         int     // chats opened, each with a websocket after hello
	Open          int64   // still open at the end (the server dropped none)
	ServerRSSMiB0 float64 // before the sockets opened
	ServerRSSMiB  float64 // with every socket open and idle
	RSSPerChatKiB float64
	// After a garbage collection the server ran on request (-gc-url: its
	// pprof heap endpoint with gc=1), once the RSS settled (SettleSeconds
	// later): what the chats hold, less the garbage of their hellos.
	ServerRSSMiBAfterGC  float64 `json:",omitempty"`
	RSSPerChatKiBAfterGC float64 `json:",omitempty"`
	SettleSeconds        float64 `json:",omitempty"`
	// Then the idle node's steady state: its RSS sampled every two
	// seconds for WindowSeconds (-window: long enough for the server to
	// ping every chat), the mean and the highest of the window.
	WindowSeconds      float64 `json:",omitempty"`
	RSSPerChatKiBMean  float64 `json:",omitempty"`
	RSSPerChatKiBMax   float64 `json:",omitempty"`
	ServerRSSMiBMaxWin float64 `json:",omitempty"`
	OpenSeconds        float64 // to open them all
	FileLimit          int     // this process's open-file limit
	// The node's open descriptors before the sockets opened (its own:
	// listeners, database connections, the poller) and with them open.
	ServerFDs0 int
	ServerFDs  int
	// Dropped counts the chats the server closed before the end (their
	// reader saw the socket end), by what the reader saw.
	Dropped        int64
	DropCauses     map[string]int64 `json:",omitempty"`
	Errors         []string
	ElapsedSeconds float64
}

// idle opens n idle chats on the node and holds them for hold, then
// reports the node's RSS per open chat. The chats are created in the
// database from one started chat (a start each would take minutes at
// 20,000); each then gets a websocket and a hello, exactly as the
// widget's, and a reader that answers the server's pings.
func (l *load) idle(ctx context.Context, n int, dsn string, hold time.Duration) (*IdleReport, error) {
	began := time.Now()
	rep := &IdleReport{Chats: n, FileLimit: fileLimit()}
	hellos, err := l.createIdleChats(ctx, n, dsn)
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	rep.ServerRSSMiB0, rep.ServerFDs0 = rssMiB(l.o.pid), openFiles(l.o.pid)
	opened := time.Now()
	var open atomic.Int64
	var closing atomic.Bool
	conns := l.openIdleChats(ctx, hellos, &open, &closing)
	rep.OpenSeconds = time.Since(opened).Seconds()
	select { // let every hello be served, then hold
	case <-ctx.Done():
	case <-time.After(hold):
	}
	rep.ServerRSSMiB, rep.ServerFDs = rssMiB(l.o.pid), openFiles(l.o.pid)
	rep.Open = open.Load()
	if rep.Open > 0 {
		rep.RSSPerChatKiB = (rep.ServerRSSMiB - rep.ServerRSSMiB0) * 1024 / float64(rep.Open)
	}
	if l.o.gcURL != "" {
		if err := l.get(ctx, l.o.gcURL); err != nil {
			l.fail("ask the server to collect garbage: %v", err)
		} else {
			l.idleAfterGC(ctx, rep, &open)
			if l.o.window > 0 {
				l.idleWindow(ctx, rep, open.Load())
			}
		}
	}
	closing.Store(true)
	for _, c := range conns {
		if c != nil {
			c.CloseNow()
		}
	}
	l.mu.Lock()
	rep.Errors = l.errs
	rep.Dropped, rep.DropCauses = l.dropped, l.dropCauses
	l.mu.Unlock()
	rep.ElapsedSeconds = time.Since(began).Seconds()
	return rep, nil
}

// createIdleChats writes n copies of one started chat into the service's
// database and returns the hello that resumes each.
func (l *load) createIdleChats(ctx context.Context, n int, dsn string) ([]protocol.Frame, error) {
	tmplStart, err := l.startChat(ctx, 0)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open the service's database: %w", err)
	}
	defer st.Close()
	tmpl, err := st.GetChat(ctx, tmplStart.ChatID)
	if err != nil {
		return nil, err
	}
	hellos := make([]protocol.Frame, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var createErr atomic.Value
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				tok := secret.Token(24)
				c := &store.Chat{ProfileID: tmpl.ProfileID, FlowID: tmpl.FlowID, FlowVersion: tmpl.FlowVersion, FlowState: tmpl.FlowState,
					Context: tmpl.Context, HostOrigin: tmpl.HostOrigin, Status: tmpl.Status, StartStep: tmpl.StartStep,
					ResumeSecretHash: secret.HashKey(tok)}
				if err := st.CreateChat(ctx, c, nil); err != nil {
					createErr.Store(err)
					return
				}
				hellos[i] = protocol.Frame{Type: protocol.FrameHello, ChatID: c.ID, ResumeSecret: tok}
			}
		}()
	}
	wg.Wait()
	if err, _ := createErr.Load().(error); err != nil {
		return nil, fmt.Errorf("create the idle chats: %w", err)
	}
	return hellos, nil
}

// openIdleChats opens a websocket per hello (64 at a time) and sends it;
// open counts the sockets open, until the server drops one or closing is
// set. The sockets are returned, nil where opening failed.
func (l *load) openIdleChats(ctx context.Context, hellos []protocol.Frame, open *atomic.Int64, closing *atomic.Bool) []*websocket.Conn {
	conns := make([]*websocket.Conn, len(hellos))
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range hellos {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := l.dial(ctx, l.base, "/chat/ws", nil)
			if err != nil {
				l.fail("idle chat %d: %v", i, err)
				return
			}
			if err := write(ctx, c, hellos[i]); err != nil {
				l.fail("idle chat %d hello: %v", i, err)
				c.CloseNow()
				return
			}
			conns[i] = c
			open.Add(1)
			go func() { // read what comes (and so answer pings) until the end
				for {
					if _, _, err := c.Read(ctx); err != nil {
						if ctx.Err() == nil && !closing.Load() {
							l.fail("idle chat %d dropped: %v", i, err)
							l.noteDrop(err)
						}
						open.Add(-1)
						return
					}
				}
			}()
		}()
	}
	wg.Wait()
	return conns
}

// addrPort matches the address:port pairs in a socket error, so that
// drops group by their cause.
var addrPort = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+`)

// noteDrop counts an idle chat the server dropped, by cause.
func (l *load) noteDrop(err error) {
	cause := addrPort.ReplaceAllString(err.Error(), "ADDR")
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropCauses == nil {
		l.dropCauses = map[string]int64{}
	}
	l.dropped++
	l.dropCauses[cause]++
}

// idleAfterGC measures the node's RSS per open chat after a garbage
// collection. The runtime gives the freed pages back to the system in the
// background, in steps, over seconds: measure once the RSS settles (falls
// by less than 1 MiB in three checks two seconds apart; at most 30 s).
func (l *load) idleAfterGC(ctx context.Context, rep *IdleReport, open *atomic.Int64) {
	settle := time.Now()
	prev, still := rssMiB(l.o.pid), 0
	for still < 3 && time.Since(settle) < 30*time.Second && ctx.Err() == nil {
		time.Sleep(2 * time.Second)
		now := rssMiB(l.o.pid)
		if prev-now < 1 {
			still++
		} else {
			still = 0
		}
		prev = now
	}
	rep.SettleSeconds = time.Since(settle).Seconds()
	rep.ServerRSSMiBAfterGC = prev
	if n := open.Load(); n > 0 {
		rep.RSSPerChatKiBAfterGC = (rep.ServerRSSMiBAfterGC - rep.ServerRSSMiB0) * 1024 / float64(n)
	}
}

// idleWindow samples the node's RSS every two seconds for the window and
// reports the mean and the highest per open chat.
func (l *load) idleWindow(ctx context.Context, rep *IdleReport, open int64) {
	began := time.Now()
	var sum, high float64
	samples := 0
	for time.Since(began) < l.o.window && ctx.Err() == nil {
		time.Sleep(2 * time.Second)
		v := rssMiB(l.o.pid)
		sum += v
		high = max(high, v)
		samples++
	}
	rep.WindowSeconds = time.Since(began).Seconds()
	if samples == 0 || open == 0 {
		return
	}
	perChat := func(mib float64) float64 { return (mib - rep.ServerRSSMiB0) * 1024 / float64(open) }
	rep.ServerRSSMiBMaxWin = high
	rep.RSSPerChatKiBMean = perChat(sum / float64(samples))
	rep.RSSPerChatKiBMax = perChat(high)
}

// get fetches url and throws the answer away.
func (l *load) get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return nil
}

// openFiles counts a process's open descriptors (0: unknown).
func openFiles(pid int) int {
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0
	}
	return len(fds)
}

// fileLimit is this process's open-file limit (0: unknown).
func fileLimit() int {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			if f := strings.Fields(line); len(f) >= 4 {
				n, _ := strconv.Atoi(f[3])
				return n
			}
		}
	}
	return 0
}
