package browsertest

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/secret"
	"halochat/backend/store"
	"halochat/backend/testenv/loopback"
)

// TestTheIntegrationExampleAnswersTheVisitor: the README's "Integrate
// your backend" program (backend/examples/integrate), built and run as a process
// of its own on loopback, receives the service's webhooks over real HTTP,
// verifies each with the Standard Webhooks library and answers the
// visitor's message through POST /api/ChatMessage with a chats:write API
// client (client credentials at /auth/token); the visitor's widget shows
// the answer. Every delivery of the webhook's log is delivered with the
// program's 204: none was refused or retried.
func TestTheIntegrationExampleAnswersTheVisitor(t *testing.T) {
	s := startStackWith(t, loopback.Options{OutboundAllow: []string{"127.0.0.1"}})
	ctx := context.Background()
	crm := &store.APIClient{ClientID: "crm", Name: "CRM", SecretHash: secret.HashKey("crm-secret"),
		Permissions: []string{store.PermChatsWrite}}
	if err := s.store.CreateAPIClient(ctx, crm); err != nil {
		t.Fatal(err)
	}
	var login protocol.AgentLogin
	s.api.For(t).Do("POST", "/auth/login", map[string]string{"email": s.demo.Admin.Email, "password": s.demo.Admin.Password}).
		Expect(200).Decode(&login)
	admin := s.api.Bearer(login.Token).For(t)
	addr := freeLoopbackAddr(t)
	var hook protocol.WebhookWithSecret
	admin.Do("POST", "/api/Webhook", protocol.WebhookInput{URL: "http://" + addr + "/halochat",
		Events: []string{protocol.WebhookChatStarted, protocol.WebhookChatMessage}, Description: "the README's example"}).
		Expect(201).Decode(&hook)
	runExample(t, addr, "HALOCHAT_URL="+s.serviceURL, "HALOCHAT_CLIENT_ID=crm", "HALOCHAT_CLIENT_SECRET=crm-secret",
		"HALOCHAT_WEBHOOK_SECRET="+hook.Secret)

	b, _ := s.visitorOn(t, Options{}, "")
	b.dispatch(t, "openChatWindow", map[string]any{})
	w := b.widget(t, s.serviceURL)
	click(t, w, ".hc-choice", "Talk to a person")
	waitText(t, w, ".hc-from-bot", "Thanks, we got: Talk to a person")

	var log protocol.WebhookDeliveries
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		admin.Do("GET", "/api/Webhook/"+strconv.FormatInt(hook.ID, 10)+"/deliveries", nil).Expect(200).Decode(&log)
		if allDelivered(log.Deliveries) || time.Now().After(end) {
			break
		}
	}
	if len(log.Deliveries) < 3 || !allDelivered(log.Deliveries) {
		t.Fatalf("the delivery log: %+v, want chat.started and the messages, each delivered", log.Deliveries)
	}
	for _, d := range log.Deliveries {
		if d.Attempts != 1 || d.LastStatus != 204 {
			t.Errorf("delivery %s (%s): %d attempts, last status %d (%s); want one, answered 204", d.EventID, d.EventType,
				d.Attempts, d.LastStatus, d.LastError)
		}
	}
}

func allDelivered(ds []protocol.WebhookDelivery) bool {
	for _, d := range ds {
		if d.Status != protocol.DeliveryDelivered {
			return false
		}
	}
	return len(ds) > 0
}

// freeLoopbackAddr is a 127.0.0.1 port free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runExample builds backend/examples/integrate and runs it on addr with env
// until the test ends; it waits until the program listens.
func runExample(t *testing.T, addr string, env ...string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "integrate")
	build := exec.Command("go", "build", "-o", bin, "./backend/examples/integrate")
	build.Dir = moduleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build backend/examples/integrate: %v\n%s", err, out)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = append(env, "ADDR="+addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("backend/examples/integrate said:\n%s", logs.String())
		}
	})
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(end) {
			t.Fatalf("backend/examples/integrate did not listen on %s", addr)
		}
	}
}
