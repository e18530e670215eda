package securitytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"halochat/app/protocol"
	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/storetest"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// pgCluster is a PostgreSQL cluster of the test's own (initdb + pg_ctl on
// a free port under a temporary directory): it can be killed and
// restarted without touching the shared server.
type pgCluster struct {
	t    *testing.T
	bin  string // directory of initdb and pg_ctl
	dir  string
	port int
	as   []string // runuser prefix when running as root
}

func findPGBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p)
		}
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(m) > 0 {
		return filepath.Dir(m[len(m)-1])
	}
	return ""
}

func startCluster(t *testing.T) *pgCluster {
	t.Helper()
	bin := findPGBin()
	if bin == "" {
		testenv.Missing(t, "chaos test skipped: it needs initdb and pg_ctl (apt-get install -y postgresql)")
		return nil
	}
	dir, err := os.MkdirTemp("", "halochat-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &pgCluster{t: t, bin: bin, dir: dir, port: freePort(t)}
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			testenv.Missing(t, "chaos test skipped: running as root needs a postgres user")
			return nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	// UTF-8 whatever the environment's locale: from an empty environment
	// (env -i) initdb picks SQL_ASCII, which the driver refuses.
	c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8", "--locale=C")
	c.start()
	t.Cleanup(func() { c.pgctl("stop", "-m", "immediate") })
	return c
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

func (c *pgCluster) run(name string, args ...string) {
	c.t.Helper()
	argv := append(append([]string{}, c.as...), append([]string{filepath.Join(c.bin, name)}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out.String())
	}
}

func (c *pgCluster) pgctl(args ...string) {
	c.t.Helper()
	c.run("pg_ctl", append([]string{"-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w"}, args...)...)
}

func (c *pgCluster) start() {
	c.pgctl("-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.port, c.dir), "start")
}

// restart kills PostgreSQL (no clean shutdown) and starts it again.
func (c *pgCluster) restart() {
	c.pgctl("stop", "-m", "immediate")
	c.start()
}

func (c *pgCluster) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// chatLog is what one chat's visitor sent, had acknowledged and received.
type chatLog struct {
	id, secret string
	acked      map[string]int64 // clientMsgId → seq
	ackOrder   []int64
	delivered  []int64 // seqs in the order the websockets delivered them
	dupes      int     // a seq delivered again
	gaps       int     // a seq delivered before the one before it
	last       atomic.Int64
}

// TestChaosNothingAcknowledgedIsLost runs many chats exchanging messages
// on two nodes over one PostgreSQL while visitor connections are cut at
// random, one node is killed and restarted, and PostgreSQL is killed and
// restarted. Afterwards every acknowledged message is stored once, each
// chat's websocket got every message once and in order after its
// resumes, and the flows continue from the right step.
func TestChaosNothingAcknowledgedIsLost(t *testing.T) {
	c, res := newChaos(t)
	if c == nil {
		return
	}
	const chats, perChat = 12, 30
	c.startChats(chats, res.Profile.ID, res.Profile.Key)
	stopReaders, cuts := c.readAll(7)
	defer stopReaders()
	var sent, retries atomic.Int64
	senders := c.send(perChat, &sent, &retries)
	c.faults()
	senders.Wait()
	c.catchUp()
	stopReaders()

	t.Logf("chaos: %d chats, 2 nodes (each killed and restarted once), PostgreSQL killed and restarted once, %d visitor socket cuts", chats, cuts.Load())
	c.audit(&sent, &retries)
	c.flowsGoOn()
}

// newChaos starts a chaos run (not with -short): a PostgreSQL cluster of
// its own with the demo, and two nodes on it. Nil when the cluster cannot
// be made here (the test is then skipped, or failed under
// HALOCHAT_REQUIRE_ALL).
func newChaos(t *testing.T) (*chaos, *demo.Result) {
	if testing.Short() {
		t.Skip("chaos test: not with -short")
	}
	t.Parallel()
	pg := startCluster(t)
	if pg == nil {
		return nil, nil
	}
	st, res := storetest.Demo(t, pg.dsn())
	c := &chaos{t: t, pg: pg, st: st, nodes: make([]*loopback.Service, 2), client: testenv.NewClient(t, "").Timeout(5 * time.Second)}
	for i := range c.nodes {
		c.nodes[i] = loopback.Start(t, loopback.Options{DSN: pg.dsn(), Store: st, Limits: service.Unlimited()})
	}
	return c, res
}

// readAll holds each chat's visitor websocket (readChat, cut at random)
// until the function it returns is called, which waits for them to end;
// cuts counts the cuts.
func (c *chaos) readAll(seed uint64) (stop func(), cuts *atomic.Int64) {
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	cuts = &atomic.Int64{}
	for i, l := range c.logs {
		readers.Add(1)
		go func() {
			defer readers.Done()
			readChat(ctx, c.nodes, l, rand.New(rand.NewPCG(uint64(i), seed)), cuts)
		}()
	}
	return sync.OnceFunc(func() { cancel(); readers.Wait() }), cuts
}

// chaos is one run of TestChaosNothingAcknowledgedIsLost: two nodes on a
// PostgreSQL cluster of its own, and the chats it drives.
type chaos struct {
	t      *testing.T
	pg     *pgCluster
	st     *store.Store
	nodes  []*loopback.Service
	client *testenv.Client
	logs   []*chatLog
}

// call sends a widget's request to node n.
func (c *chaos) call(n *loopback.Service, method, path string, body any, secret string) (int, []byte, error) {
	r, err := c.client.Send(method, n.URL+path, body, "Origin", n.URL, protocol.HeaderResumeSecret, secret)
	if err != nil {
		return 0, nil, err
	}
	return r.Status, r.Body, nil
}

// startChats starts n chats on the profile of id and key, on the nodes
// in turn.
func (c *chaos) startChats(n int, id, key string) {
	c.logs = make([]*chatLog, n)
	for i := range c.logs {
		code, body, err := c.call(c.nodes[i%2], "POST", "/chat/api/v1/start", protocol.StartChatRequest{
			ConfigID: id, ConfigKey: key, HostOrigin: "https://host.example"}, "")
		var sr protocol.StartChatResponse
		if err != nil || code != http.StatusCreated || json.Unmarshal(body, &sr) != nil {
			c.t.Fatalf("start chat %d: %d %s %v", i, code, body, err)
		}
		c.logs[i] = &chatLog{id: sr.ChatID, secret: sr.ResumeSecret, acked: map[string]int64{}}
	}
}

// send starts the senders: each chat sends perChat messages in order,
// retrying a message (same clientMsgId) on any node until it is
// acknowledged. The group is done when every sender is.
func (c *chaos) send(perChat int, sent, retries *atomic.Int64) *sync.WaitGroup {
	var senders sync.WaitGroup
	deadline := time.Now().Add(60 * time.Second)
	for i, l := range c.logs {
		senders.Add(1)
		go func() {
			defer senders.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			for m := range perChat {
				id := fmt.Sprintf("c%d-m%d", i, m)
				sent.Add(1)
				for try := 0; time.Now().Before(deadline); try++ {
					if try > 0 {
						retries.Add(1)
						time.Sleep(100 * time.Millisecond)
					}
					code, body, err := c.call(c.nodes[rng.IntN(2)], "POST", "/chat/api/v1/chats/"+l.id+"/messages",
						protocol.SendRequest{ClientMsgID: id, Text: "message " + id}, l.secret)
					var ack protocol.Ack
					if err != nil || code != http.StatusOK || json.Unmarshal(body, &ack) != nil || ack.Seq == 0 {
						continue
					}
					l.acked[id] = ack.Seq
					l.ackOrder = append(l.ackOrder, ack.Seq)
					break
				}
				time.Sleep(time.Duration(100+rng.IntN(100)) * time.Millisecond)
			}
		}()
	}
	return &senders
}

// faults kills and restarts each node and PostgreSQL, while the traffic
// flows.
func (c *chaos) faults() {
	time.Sleep(800 * time.Millisecond)
	c.nodes[1].Kill()
	time.Sleep(700 * time.Millisecond)
	c.nodes[1].Restart()
	time.Sleep(700 * time.Millisecond)
	c.pg.restart()
	time.Sleep(700 * time.Millisecond)
	c.nodes[0].Kill()
	time.Sleep(300 * time.Millisecond)
	c.nodes[0].Restart()
}

// catchUp waits (20 s at most) until every open side resumed: the
// readers caught up to each chat's last seq.
func (c *chaos) catchUp() {
	deadline := time.Now().Add(20 * time.Second)
	for _, l := range c.logs {
		ch, err := c.st.GetChat(context.Background(), l.id)
		if err != nil {
			c.t.Fatal(err)
		}
		for l.last.Load() < ch.LastSeq && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// audit checks that every message sent was acknowledged, and every one
// acknowledged stored once, in order, and delivered once to the chat's
// websocket.
func (c *chaos) audit(sent, retries *atomic.Int64) {
	t := c.t
	var tl tally
	for _, l := range c.logs {
		msgs := c.storedMessages(l)
		byClient := map[string]int{}
		for _, m := range msgs {
			if m.ClientMsgID != "" {
				byClient[m.ClientMsgID]++
			}
		}
		tl.acked += len(l.acked)
		for id, seq := range l.acked {
			switch n := byClient[id]; {
			case n == 0:
				tl.lost++
				t.Errorf("chat %s: %s acknowledged (seq %d) but not stored", l.id, id, seq)
			case n > 1:
				tl.storedDupes += n - 1
			}
		}
		for _, n := range byClient {
			tl.stored += min(n, 1)
		}
		ackedInOrder(t, l.id, l.ackOrder)
		tl.delivery(t, l, len(msgs))
	}
	t.Logf("chaos: sent %d, acknowledged %d (after %d retries), stored %d, delivered %d (all messages, bot's included), duplicates %d (stored %d), out of order %d, lost %d",
		sent.Load(), tl.acked, retries.Load(), tl.stored, tl.delivered, tl.dupes, tl.storedDupes, tl.gaps, tl.lost)
	tl.verdict(t, int(sent.Load()))
}

// tally is what an audit counted over the chats.
type tally struct {
	acked, stored, storedDupes, lost int
	delivered, dupes, gaps           int
}

// storedMessages reads chat l's messages, failing on a seq out of place
// (they must be 1..n).
func (c *chaos) storedMessages(l *chatLog) []store.Message {
	msgs, err := c.st.MessagesAfter(context.Background(), l.id, 0, store.MaxLimit)
	if err != nil {
		c.t.Fatal(err)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			c.t.Errorf("chat %s: stored seq %d at position %d", l.id, m.Seq, i+1)
		}
	}
	return msgs
}

// ackedInOrder fails unless a sender's acknowledged seqs rise.
func ackedInOrder(t *testing.T, chatID string, order []int64) {
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Errorf("chat %s: acknowledgements out of order: %v", chatID, order)
			return
		}
	}
}

// delivery counts what chat l's websocket got, which must be each of its
// stored messages once.
func (tl *tally) delivery(t *testing.T, l *chatLog, stored int) {
	tl.delivered += len(l.delivered)
	tl.dupes += l.dupes
	tl.gaps += l.gaps
	if got := len(l.delivered); got != stored {
		t.Errorf("chat %s: %d messages delivered to the visitor's websocket, %d stored", l.id, got, stored)
	}
}

// verdict fails unless all sent messages were acknowledged and nothing
// was duplicated, reordered or lost.
func (tl tally) verdict(t *testing.T, sent int) {
	if tl.acked != sent {
		t.Errorf("%d of %d messages were never acknowledged", sent-tl.acked, sent)
	}
	if tl.dupes != 0 || tl.storedDupes != 0 || tl.gaps != 0 || tl.lost != 0 {
		t.Errorf("duplicates %d, stored duplicates %d, out of order %d, lost %d: want 0", tl.dupes, tl.storedDupes, tl.gaps, tl.lost)
	}
}

// flowsGoOn checks that the flows go on from where they were: at the
// menu, a choice leads to the step it names.
func (c *chaos) flowsGoOn() {
	for i, l := range c.logs {
		n := c.nodes[i%2]
		code, body, err := c.call(n, "POST", "/chat/api/v1/chats/"+l.id+"/messages", map[string]any{"clientMsgId": "choice-" + l.id, "choice": 0}, l.secret)
		if err != nil || code != http.StatusOK {
			c.t.Fatalf("chat %s: choice after the chaos: %d %s %v", l.id, code, body, err)
		}
		code, body, err = c.call(n, "GET", "/chat/api/v1/chats/"+l.id+"/messages?after=0", nil, l.secret)
		var poll protocol.PollResponse
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("status %d: %s", code, body)
		}
		if err == nil {
			err = json.Unmarshal(body, &poll)
		}
		if err != nil || poll.Chat.Pending == nil || poll.Chat.Pending.Step != demo.StepAskEmail {
			c.t.Errorf("chat %s after the chaos: pending %+v, want step %d (%v)", l.id, poll.Chat.Pending, demo.StepAskEmail, err)
		}
	}
}

// readChat holds a websocket on the chat from a random node, cutting it
// at random and resuming from the last seq it saw, until ctx ends.
func readChat(ctx context.Context, nodes []*loopback.Service, l *chatLog, rng *rand.Rand, cuts *atomic.Int64) {
	for ctx.Err() == nil {
		n := nodes[rng.IntN(len(nodes))]
		life := time.Duration(200+rng.IntN(800)) * time.Millisecond
		cctx, cancel := context.WithTimeout(ctx, life)
		func() {
			defer cancel()
			ws, _, err := websocket.Dial(cctx, n.WS("/chat/ws"), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {n.URL}}})
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				return
			}
			defer ws.CloseNow()
			ws.SetReadLimit(1 << 20)
			if err := ws.Write(cctx, websocket.MessageText, mustJSON(protocol.Frame{V: 1, Type: protocol.FrameHello,
				ChatID: l.id, ResumeSecret: l.secret, AfterSeq: l.last.Load()})); err != nil {
				return
			}
			for {
				_, data, err := ws.Read(cctx)
				if err != nil {
					if cctx.Err() != nil && ctx.Err() == nil {
						cuts.Add(1)
					}
					return
				}
				var f protocol.Frame
				if json.Unmarshal(data, &f) != nil || f.Type != protocol.FrameMessage || f.Message == nil {
					continue
				}
				seq, last := f.Message.Seq, l.last.Load()
				switch {
				case seq <= last:
					l.dupes++
				case seq != last+1:
					l.gaps++
				}
				if seq > last {
					l.delivered = append(l.delivered, seq)
					l.last.Store(seq)
				}
			}
		}()
	}
}
