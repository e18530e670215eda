// Command loadgen drives a running halochat as the widget and the agent
// console do, and reports what it measured: chats started per second,
// messages persisted and delivered per second, delivery latency (send →
// received by the other side) percentiles, errors, and the server's RSS
// and CPU time (from /proc, when -pid names it).
//
// Each visitor starts a chat over HTTP with an HS256 identity token
// carrying chat custom fields, holds a websocket, asks for a person (the
// demo flow's transfer), and once an agent has accepted sends -messages
// messages at -rate per second; the agents answer each one. Bounded in
// count and time; for loopback targets only.
//
//	bin/halochat serve --limits benchmark &
//	go run ./backend/cmd/loadgen -url http://127.0.0.1:8080 -demo data/demo.json -chats 200
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"halochat/app/protocol"
	"halochat/backend/demo"
)

type options struct {
	url      string
	agentURL string
	demoFile string
	chats    int
	messages int
	rate     float64
	agents   int
	parallel int
	timeout  time.Duration
	pid      int
	idle     int           // -idle: open this many idle chats instead
	idleDB   string        // the service's database, to create them
	idleHold time.Duration // how long to hold them open
	gcURL    string        // with -idle: a URL that makes the server collect garbage
	window   time.Duration // with -idle and -gc-url: the steady state's sampling window
	// startsOnly: each visitor only starts its chat (HTTP: token, claims,
	// insert, first flow step), with no websocket and no agent.
	startsOnly bool
	// webhook: a webhook for chat.message to a receiver on loopback
	// (webhooks.go), measured beside the messages.
	webhook      bool
	webhookDrain time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the service the visitors use (loopback only)")
	flag.StringVar(&o.agentURL, "agent-url", "", "the node the agents use (default -url): two nodes sharing one PostgreSQL")
	flag.StringVar(&o.demoFile, "demo", "data/demo.json", "the output of `halochat demo --json` for that service")
	flag.IntVar(&o.chats, "chats", 100, "visitors (chats)")
	flag.IntVar(&o.messages, "messages", 20, "messages each visitor sends once an agent has the chat")
	flag.Float64Var(&o.rate, "rate", 2, "messages per second per visitor")
	flag.IntVar(&o.agents, "agents", 4, "agents (each an account of its own with one console), created with the demo admin")
	flag.IntVar(&o.parallel, "parallel", 50, "chat starts in flight at once (every chat then stays open)")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "stop after this long whatever happens")
	flag.IntVar(&o.pid, "pid", 0, "the server's process id, to report its RSS and CPU")
	flag.BoolVar(&o.startsOnly, "starts-only", false, "each visitor only starts its chat (the HTTP start: token, claims, insert, first flow step), with no websocket; use -agents 0")
	flag.IntVar(&o.idle, "idle", 0, "instead of the message load: open this many idle chats (websockets after hello) and report the server's RSS per chat")
	flag.StringVar(&o.idleDB, "db", "", "with -idle: the service's database DSN (the idle chats are created there)")
	flag.DurationVar(&o.idleHold, "hold", 10*time.Second, "with -idle: how long to hold the chats open before measuring")
	flag.DurationVar(&o.window, "window", 0, "with -idle and -gc-url: after the collection settles, sample the server's RSS every 2 s for this long (its steady state; cover the server's ping interval)")
	flag.StringVar(&o.gcURL, "gc-url", "", "with -idle: also measure after asking the server to collect garbage at this URL (its --pprof heap endpoint with gc=1; loopback)")
	flag.BoolVar(&o.webhook, "webhook", false, "also create a webhook for chat.message to a receiver on loopback (the node must allow 127.0.0.1: serve --outbound-allow) and report its deliveries: per second, lag from commit, lost, duplicates")
	flag.DurationVar(&o.webhookDrain, "webhook-drain", 30*time.Second, "with -webhook: how long to wait after the load for the deliveries still on their way")
	cpuProfile := flag.String("cpuprofile", "", "write the load generator's own CPU profile to this file")
	flag.Parse()
	// The load generator shares the machine's cores with the server it
	// measures: it collects garbage a quarter as often, for memory this
	// machine has plenty of.
	debug.SetGCPercent(400)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: CPU profile:", err)
			os.Exit(1)
		}
		defer f.Close()
	}
	var rep any
	var err error
	if o.idle > 0 {
		rep, err = runIdle(o)
	} else {
		rep, err = run(o)
	}
	pprof.StopCPUProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Println(string(out))
}

// Report is what one run measured.
type Report struct {
	Chats, Messages        int
	StartedChats           int64
	StartErrors            int64
	StartsPerSecond        float64
	StartP50Ms, StartP99Ms float64
	Sent                   int64 // by visitors; agents answer each
	Acked                  int64 // persisted: visitors' and agents' messages acknowledged
	Delivered              int64 // visitor → agent and agent → visitor
	Duplicates, OutOfOrder int64
	AgentReconnects        int64   // consoles the server dropped (too slow) that reconnected
	PersistedPerSecond     float64 // acknowledged messages over the message phase
	DeliveredPerSecond     float64 // delivered messages over the message phase
	LatencyP50Ms, P95Ms    float64
	P99Ms, MaxMs           float64
	// Deliveries slower than slowMs (20 ms: the half run's p99 target),
	// and how they cluster by their send time: the 100 ms windows that
	// hold any, and the most in one second. A few windows holding most of
	// them is a stall (of the machine, the database or the node), many
	// windows a load the node does not keep pace with.
	SlowDeliveries, SlowWindows, SlowInOneSecond int
	Errors                                       []string
	Webhook                                      *WebhookReport `json:",omitempty"`
	ServerRSSMiB                                 float64        `json:",omitempty"`
	ServerCPUSeconds                             float64        `json:",omitempty"`
	MessagePhaseSeconds                          float64
	ElapsedSeconds                               float64
}

func runIdle(o options) (*IdleReport, error) {
	if o.idleDB == "" || o.pid <= 0 {
		return nil, fmt.Errorf("-idle needs -db (the service's database) and -pid (the server's process)")
	}
	l, err := newLoad(o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	return l.idle(ctx, o.idle, o.idleDB, o.idleHold)
}

// newLoad checks the targets are on this machine and reads the demo.
func newLoad(o options) (*load, error) {
	if o.agentURL == "" {
		o.agentURL = o.url
	}
	targets := []string{o.url, o.agentURL}
	if o.gcURL != "" {
		targets = append(targets, o.gcURL)
	}
	for _, target := range targets {
		u, err := url.Parse(target)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
			return nil, fmt.Errorf("%s is not a loopback address: loadgen only loads this machine", target)
		}
	}
	raw, err := os.ReadFile(o.demoFile)
	if err != nil {
		return nil, fmt.Errorf("read the demo's ids and secrets: %w", err)
	}
	var d demo.Result
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode %s: %w", o.demoFile, err)
	}
	l := &load{o: o, d: d, base: strings.TrimRight(o.url, "/"), agentBase: strings.TrimRight(o.agentURL, "/"),
		lat: newSamples(), startLat: newSamples(), slow: newSamples(), allReady: make(chan struct{}),
		run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	l.readyLeft.Store(int64(o.chats))
	l.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.parallel * 2}, Timeout: 30 * time.Second}
	return l, nil
}

func run(o options) (*Report, error) {
	l, err := newLoad(o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	cpu0 := cpuSeconds(o.pid)
	began := time.Now()

	if err := l.startAgents(ctx); err != nil {
		return nil, err
	}
	var hook *hookReceiver
	if o.webhook {
		h, stop, err := l.webhookSetup(ctx)
		if err != nil {
			return nil, err
		}
		defer stop()
		hook = h
	}
	// Every start's request is made before the clock starts: signing
	// tokens is the widget host's work, not the service's, and this
	// machine's cores are shared with the server.
	l.startBodies = make([][]byte, o.chats)
	for i := range l.startBodies {
		l.startBodies[i] = l.startBody(i)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.parallel)
	startsBegan := time.Now()
	if o.startsOnly {
		// Starts alone: a goroutine for each start in flight, which takes
		// the next, on a connection of its own (starter). (A goroutine a
		// chat, as below, spent a tenth of this process's work growing
		// 15,000 stacks, on cores the server shares.)
		var next atomic.Int64
		for range o.parallel {
			st, err := l.newStarter()
			if err != nil {
				return nil, err
			}
			wg.Go(func() {
				defer st.close()
				for i := int(next.Add(1) - 1); i < o.chats; i = int(next.Add(1) - 1) {
					st.start(ctx, i)
				}
			})
		}
	} else {
		for i := 0; i < o.chats; i++ {
			wg.Go(func() { l.visitor(ctx, i, sem) })
		}
	}
	wg.Wait()
	// Visitors stop once they have their own acknowledgements and every
	// reply; the acknowledgement of an agent's last reply may still be on
	// its way: wait for it a little, so that none is counted missing.
	for end := time.Now().Add(5 * time.Second); l.acked.Load() < 2*l.sent.Load() && time.Now().Before(end) && ctx.Err() == nil; {
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(began)
	l.noteShortfall(ctx)

	rep := &Report{Chats: o.chats, Messages: o.messages, StartedChats: l.started.Load(), StartErrors: l.startErrs.Load(),
		Sent: l.sent.Load(), Acked: l.acked.Load(), Delivered: l.delivered.Load(),
		Duplicates: l.dups.Load(), OutOfOrder: l.disorder.Load(), AgentReconnects: l.reconnects.Load(),
		ElapsedSeconds: elapsed.Seconds()}
	if s := l.startsDone.Load(); s > 0 {
		rep.StartsPerSecond = float64(l.started.Load()) / time.Duration(s-startsBegan.UnixNano()).Seconds()
	}
	rep.StartP50Ms, rep.StartP99Ms = l.startLat.pct(50), l.startLat.pct(99)
	if first, last := l.firstSend.Load(), l.lastDelivery.Load(); first > 0 && last > first {
		rep.MessagePhaseSeconds = time.Duration(last - first).Seconds()
		rep.PersistedPerSecond = float64(rep.Acked) / rep.MessagePhaseSeconds
		rep.DeliveredPerSecond = float64(rep.Delivered) / rep.MessagePhaseSeconds
	}
	rep.LatencyP50Ms, rep.P95Ms, rep.P99Ms, rep.MaxMs = l.lat.pct(50), l.lat.pct(95), l.lat.pct(99), l.lat.pct(100)
	rep.SlowDeliveries, rep.SlowWindows, rep.SlowInOneSecond = l.slow.clusters(100, 1000)
	if hook != nil {
		rep.Webhook = hook.report(rep.Acked, l.lastDelivery.Load(), o.webhookDrain)
	}
	l.mu.Lock()
	rep.Errors = l.errs
	l.mu.Unlock()
	if o.pid > 0 {
		rep.ServerRSSMiB = rssMiB(o.pid)
		rep.ServerCPUSeconds = cpuSeconds(o.pid) - cpu0
	}
	l.endChats()
	return rep, nil
}

// endChats ends, after the run's figures are taken, the chats its
// visitors started, as a visitor closing the window would: a chat left
// open stays queued, or is requeued once its agent is gone, and a later
// run on the same database would find its consoles' queue full of them.
func (l *load) endChats() {
	l.mu.Lock()
	chats := l.toEnd
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, c := range chats {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			req, _ := http.NewRequestWithContext(ctx, "POST", l.base+"/chat/api/v1/chats/"+c.ChatID+"/end", nil)
			req.Header.Set(protocol.HeaderResumeSecret, c.ResumeSecret)
			res, err := l.client.Do(req)
			if err != nil {
				fmt.Fprintf(os.Stderr, "loadgen: end chat %s: %v\n", c.ChatID, err)
				return
			}
			res.Body.Close()
			if res.StatusCode/100 != 2 {
				fmt.Fprintf(os.Stderr, "loadgen: end chat %s: %s\n", c.ChatID, res.Status)
			}
		})
	}
	wg.Wait()
}

type load struct {
	o         options
	d         demo.Result
	base      string // the visitors' node
	agentBase string // the agents' node
	client    *http.Client

	lat, startLat *samples
	slow          *samples // the send times (ms since the Unix epoch) of the deliveries slower than slowMs

	started, startErrs, sent, acked, delivered, dups, disorder, reconnects atomic.Int64
	firstSend, lastDelivery, startsDone                                    atomic.Int64

	mu   sync.Mutex
	errs []string
	// toEnd are the chats the visitors started (endChats)
	toEnd []*startAnswer
	// idle chats the server dropped, and why (idle.go)
	dropped    int64
	dropCauses map[string]int64
	// chats the agents accepted: chat id → channel closed on acceptance
	accepted sync.Map
	// visitorOf: chat id → the index of the visitor who started it
	visitorOf sync.Map
	// readyLeft counts the visitors not yet accepted (or failed);
	// allReady is closed when it reaches 0.
	readyLeft atomic.Int64
	allReady  chan struct{}
	// startBodies holds each visitor's start request, made in advance.
	startBodies [][]byte
	// run tells this run's visitors and agents from an earlier run's on
	// the same database.
	run string
	// withAgent counts the chats an agent accepted.
	withAgent atomic.Int64
}

// noteShortfall records, as errors, a run that measured less than it
// was asked to: chats no agent accepted (the message phase then never
// begins, and its figures would be zeros that read as a result), and a
// run cut short by -timeout.
func (l *load) noteShortfall(ctx context.Context) {
	var short []string
	if started, with := l.started.Load(), l.withAgent.Load(); !l.o.startsOnly && with < started {
		short = append(short, fmt.Sprintf("%d of %d started chats never reached an agent: the message phase measured %d of %d chats", started-with, started, with, l.o.chats))
	}
	if ctx.Err() != nil {
		short = append(short, fmt.Sprintf("the run stopped at -timeout %s before it finished", l.o.timeout))
	}
	l.mu.Lock()
	l.errs = append(short, l.errs...) // first, whatever came before
	l.mu.Unlock()
}

func (l *load) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) < 20 {
		l.errs = append(l.errs, fmt.Sprintf(format, args...))
	}
}

func (l *load) token(i int) string {
	// Each run's visitors are people of their own: an identified user's
	// open chat follows them (chats/follow.go), so the same subject on a
	// database an earlier run left chats open in would resume one of
	// those, already with an agent, rather than start a chat.
	claims := jwt.MapClaims{"sub": "load-" + l.run + "-" + strconv.Itoa(i), "given_name": "Load", "family_name": strconv.Itoa(i),
		"email": fmt.Sprintf("load-%s-%d@example.test", l.run, i), "CFcustomerTier": "silver", "Account Number": "L-" + strconv.Itoa(i),
		"exp": time.Now().Add(time.Hour).Unix()}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = l.d.Identity.KID
	s, _ := tok.SignedString([]byte(l.d.Identity.HS256Secret))
	return s
}

func (l *load) dial(ctx context.Context, base, path string, header http.Header) (*websocket.Conn, error) {
	if header == nil {
		header = http.Header{}
	}
	header.Set("Origin", base)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path,
		&websocket.DialOptions{HTTPHeader: header, HTTPClient: l.client})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	return conn, nil
}

func write(ctx context.Context, c *websocket.Conn, f protocol.Frame) error {
	f.V = protocol.ProtocolVersion
	b, _ := json.Marshal(f)
	return c.Write(ctx, websocket.MessageText, b)
}

func read(ctx context.Context, c *websocket.Conn) (protocol.Frame, error) {
	var f protocol.Frame
	_, b, err := c.Read(ctx)
	if err != nil {
		return f, err
	}
	return f, json.Unmarshal(b, &f)
}

// stamp puts the send time into a message; delivered computes latency.
func stamp(prefix string) string {
	return prefix + " t=" + strconv.FormatInt(time.Now().UnixNano(), 10)
}

func (l *load) deliveredNow(text string) {
	i := strings.LastIndex(text, " t=")
	if i < 0 {
		return
	}
	ns, err := strconv.ParseInt(text[i+3:], 10, 64)
	if err != nil {
		return
	}
	now := time.Now().UnixNano()
	ms := float64(now-ns) / 1e6
	l.lat.add(ms)
	if ms > slowMs {
		l.slow.add(float64(ns) / 1e6)
	}
	l.delivered.Add(1)
	l.lastDelivery.Store(now)
}

// post sends JSON and decodes the JSON answer.
func (l *load) post(ctx context.Context, base, path, bearer string, in, out any) error {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(ctx, "POST", base+path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", path, res.Status)
	}
	if out != nil {
		return json.NewDecoder(res.Body).Decode(out)
	}
	return nil
}

// login returns a session token.
func (l *load) login(ctx context.Context, email, password string) (string, error) {
	var out struct{ Token string }
	if err := l.post(ctx, l.agentBase, "/auth/login", "", map[string]string{"email": email, "password": password}, &out); err != nil {
		return "", fmt.Errorf("log in %s: %w", email, err)
	}
	return out.Token, nil
}

// startAgents creates -agents agent accounts (with the demo admin), logs
// each in and opens one console each: as many people, each with one tab.
// (One account's tabs all follow its chats: one account with many
// connections would multiply every message.)
func (l *load) startAgents(ctx context.Context) error {
	admin, err := l.login(ctx, l.d.Admin.Email, l.d.Admin.Password)
	if err != nil {
		return err
	}
	for i := 0; i < l.o.agents; i++ {
		email := fmt.Sprintf("load-%s-%d@agents.test", l.run, i)
		const password = "loadgen agent password"
		agent := map[string]any{"email": email, "name": fmt.Sprintf("Load agent %d", i), "role": "agent", "password": password,
			"maxChats": 1000} // a console takes as many chats as the load gives it (the default cap is 5)
		if err := l.post(ctx, l.agentBase, "/api/Agent", admin, agent, nil); err != nil {
			return fmt.Errorf("create agent %d: %w", i, err)
		}
		token, err := l.login(ctx, email, password)
		if err != nil {
			return err
		}
		go l.agent(ctx, i, token)
	}
	return nil
}

// agent is one console: it accepts queued chats and answers every
// visitor message. Its reads never wait on its writes (a writer goroutine
// sends), and when the server drops it (a console that does not keep up
// is dropped and must resume, as the real console does) it reconnects:
// the server then sends its live chats again from their first message,
// and what it had answered already is not answered again.
func (l *load) agent(ctx context.Context, n int, token string) {
	st := &agentState{mine: map[string]bool{}, answered: map[string]int64{}}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			l.reconnects.Add(1)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		conn, err := l.dial(ctx, l.agentBase, "/agent/ws", http.Header{"Authorization": {"Bearer " + token}})
		if err != nil {
			if ctx.Err() == nil {
				l.fail("agent %d websocket: %v", n, err)
			}
			continue
		}
		out := make(chan protocol.Frame, 1024)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			for f := range out {
				if err := write(ctx, conn, f); err != nil {
					conn.CloseNow()
					for range out { // let the reader finish
					}
					return
				}
			}
		}()
		out <- protocol.Frame{Type: protocol.FrameHello}
		err = l.agentRead(ctx, conn, n, st, out)
		close(out)
		<-wrote
		conn.CloseNow()
		if ctx.Err() == nil {
			l.fail("agent %d dropped, reconnecting: %v", n, err)
		}
	}
}

// agentState is what one console knows across its reconnects.
type agentState struct {
	mine     map[string]bool  // chats it accepted: only it answers in them
	answered map[string]int64 // per chat, the last visitor seq answered
}

func (l *load) agentRead(ctx context.Context, conn *websocket.Conn, n int, st *agentState, out chan<- protocol.Frame) error {
	for {
		f, err := read(ctx, conn)
		if err != nil {
			return err
		}
		switch f.Type {
		case protocol.FrameQueue:
			for _, c := range f.Chats {
				if l.mineToAccept(c.ID, n) {
					out <- protocol.Frame{Type: protocol.FrameAccept, ChatID: c.ID}
				}
			}
		case protocol.FrameAccepted:
			if f.Error == nil {
				st.mine[f.ChatID] = true
				if ch, ok := l.accepted.Load(f.ChatID); ok {
					select {
					case <-ch.(chan struct{}):
					default:
						close(ch.(chan struct{}))
					}
				}
			}
		case protocol.FrameAck:
			if strings.HasPrefix(f.ClientMsgID, "r") && !f.Duplicate {
				l.acked.Add(1)
			}
		case protocol.FrameMessage:
			m := f.Message
			if m == nil || m.From != protocol.FromVisitor || !strings.HasPrefix(m.Text, "visitor ") || !st.mine[f.ChatID] ||
				m.Seq <= st.answered[f.ChatID] {
				continue
			}
			st.answered[f.ChatID] = m.Seq
			l.deliveredNow(m.Text)
			out <- protocol.Frame{Type: protocol.FrameSend, ChatID: f.ChatID,
				ClientMsgID: "r" + f.ChatID + "-" + strconv.FormatInt(m.Seq, 10), Text: stamp("agent")}
		}
	}
}

// mineToAccept says whether console n accepts the queued chat id: only
// chats this run started (a database an earlier run used may hold chats
// of its own, requeued once their agents are gone; answering their history
// would count old messages as this run's deliveries), visitor i's by
// console i mod -agents, so that each console takes as many chats and
// consoles whose queue frames differ still agree.
func (l *load) mineToAccept(id string, n int) bool {
	i, ok := l.visitorOf.Load(id)
	return ok && i.(int)%l.o.agents == n
}

// startBody is visitor i's start request: the widget's, with a token
// that carries user fields and chat custom fields.
func (l *load) startBody(i int) []byte {
	req := protocol.StartChatRequest{ConfigID: l.d.Profile.ID, ConfigKey: l.d.Profile.Key,
		HostOrigin: "http://localhost:1", IDToken: l.token(i)}
	body, _ := json.Marshal(req)
	return body
}

// startChat starts visitor i's chat as the widget does.
// startAnswer is what a visitor keeps of the start's answer (the rest of
// the body is read, not kept: decoding a whole chat state for each start
// was a sixth of this process's work).
type startAnswer struct {
	ChatID       string `json:"chatId"`
	ResumeSecret string `json:"resumeSecret"`
	Chat         struct {
		LastSeq int64 `json:"lastSeq"`
	} `json:"chat"`
}

func (l *load) startChat(ctx context.Context, i int) (*startAnswer, error) {
	var body []byte
	if i < len(l.startBodies) {
		body = l.startBodies[i]
	} else {
		body = l.startBody(i)
	}
	hreq, _ := http.NewRequestWithContext(ctx, "POST", l.base+"/chat/api/v1/start", bytes.NewReader(body))
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Origin", l.base)
	res, err := l.client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("start %d: %w", i, err)
	}
	defer res.Body.Close()
	var start startAnswer
	err = json.NewDecoder(res.Body).Decode(&start)
	if res.StatusCode/100 != 2 || err != nil || start.ChatID == "" || start.ResumeSecret == "" {
		return nil, fmt.Errorf("start %d: %s", i, res.Status)
	}
	return &start, nil
}

// visitor is one chat. sem bounds the chat starts in flight at once (not
// the chats: they all stay open together).
func (l *load) visitor(ctx context.Context, i int, sem chan struct{}) {
	readied := false
	ready := func() { // this visitor is accepted, or gave up
		if !readied {
			readied = true
			if l.readyLeft.Add(-1) == 0 {
				close(l.allReady)
			}
		}
	}
	defer ready()
	start := l.startVisitor(ctx, i, sem)
	if start == nil || l.o.startsOnly {
		return
	}
	l.mu.Lock()
	l.toEnd = append(l.toEnd, start)
	l.mu.Unlock()
	acc := make(chan struct{})
	l.accepted.Store(start.ChatID, acc)
	l.visitorOf.Store(start.ChatID, i)
	conn, err := l.dial(ctx, l.base, "/chat/ws", nil)
	if err != nil {
		l.fail("visitor %d websocket: %v", i, err)
		return
	}
	defer conn.CloseNow()
	if err := write(ctx, conn, protocol.Frame{Type: protocol.FrameHello, ChatID: start.ChatID, ResumeSecret: start.ResumeSecret,
		AfterSeq: start.Chat.LastSeq}); err != nil {
		l.fail("visitor %d hello: %v", i, err)
		return
	}
	// Ask for a person: the demo menu's third option.
	person := 2
	if err := write(ctx, conn, protocol.Frame{Type: protocol.FrameSend, ClientMsgID: "menu", Choice: &person}); err != nil {
		l.fail("visitor %d choose: %v", i, err)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.visitorReads(ctx, i, conn)
	}()
	select {
	case <-acc:
		l.withAgent.Add(1)
	case <-done:
		return
	case <-ctx.Done():
		return
	}
	// The message phase begins when every chat is with an agent: the
	// starts' work would otherwise be measured as delivery latency.
	ready()
	select {
	case <-l.allReady:
	case <-done:
		return
	case <-ctx.Done():
		return
	}
	if !l.visitorSends(ctx, i, conn) {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// startVisitor starts visitor i's chat, or fails and returns nil.
func (l *load) startVisitor(ctx context.Context, i int, sem chan struct{}) *startAnswer {
	sem <- struct{}{}
	t0 := time.Now()
	start, err := l.startChat(ctx, i)
	<-sem
	if err != nil {
		l.startErrs.Add(1)
		l.fail("%v", err)
		return nil
	}
	l.startLat.add(float64(time.Since(t0)) / 1e6)
	l.started.Add(1)
	l.startsDone.Store(time.Now().UnixNano())
	return start
}

// visitorReads reads visitor i's socket until every agent reply and every
// ack of its own messages came, counting duplicates, disorder and the
// replies' delivery.
func (l *load) visitorReads(ctx context.Context, i int, conn *websocket.Conn) {
	var lastSeq int64
	got, acks := 0, 0
	for got < l.o.messages || acks < l.o.messages { // every reply, and every own ack
		f, err := read(ctx, conn)
		if err != nil {
			if ctx.Err() == nil {
				l.fail("visitor %d read: %v", i, err)
			}
			return
		}
		switch f.Type {
		case protocol.FrameAck:
			if strings.HasPrefix(f.ClientMsgID, "msg-") && !f.Duplicate {
				l.acked.Add(1)
				acks++
			}
		case protocol.FrameMessage:
			m := f.Message
			if m == nil {
				continue
			}
			switch {
			case m.Seq <= lastSeq:
				l.dups.Add(1)
			case lastSeq != 0 && m.Seq != lastSeq+1:
				l.disorder.Add(1)
			}
			if m.Seq > lastSeq {
				lastSeq = m.Seq
			}
			if m.From == protocol.FromAgent && strings.HasPrefix(m.Text, "agent ") {
				l.deliveredNow(m.Text)
				got++
			}
		}
	}
}

// visitorSends sends visitor i's messages at the rate asked for; false
// when it stopped early (ctx ended or a send failed).
func (l *load) visitorSends(ctx context.Context, i int, conn *websocket.Conn) bool {
	every := time.Duration(float64(time.Second) / l.o.rate)
	// Each visitor starts at a random point of its period: visitors
	// accepted together would otherwise send in lockstep, a burst of every
	// chat's message at once each period, which no real audience does and
	// whose queue would be measured as delivery latency.
	select {
	case <-time.After(rand.N(every)):
	case <-ctx.Done():
		return false
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for k := 0; k < l.o.messages; k++ {
		l.firstSend.CompareAndSwap(0, time.Now().UnixNano())
		if err := write(ctx, conn, protocol.Frame{Type: protocol.FrameSend, ClientMsgID: "msg-" + strconv.Itoa(k), Text: stamp("visitor")}); err != nil {
			l.fail("visitor %d send: %v", i, err)
			return false
		}
		l.sent.Add(1)
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}
