package testenv

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// SlowRequest sends a request whose body comes slowly, on a connection
// of its own, to see how a server bounds it: the slow-loris client.
type SlowRequest struct {
	Method, Path string
	Header       []string // name, value pairs besides Host and Content-Length
	// Length is the Content-Length announced; the body never reaches it.
	Length int
	// Every is how often one more byte of the body goes; 0: none after
	// the header.
	Every time.Duration
	// GiveUp is how long the test waits for the server to end it.
	GiveUp time.Duration
}

// SlowResult is how the server ended a SlowRequest.
type SlowResult struct {
	// Ended: the server answered or closed the connection within GiveUp.
	Ended bool
	// Took is how long after the header it did.
	Took time.Duration
	// Status is its status line ("" when it closed without one).
	Status string
}

// Send sends r to addr (host:port).
func (r SlowRequest) Send(t testing.TB, addr string) SlowResult {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.Method, r.Path, addr, r.Length)
	for i := 0; i+1 < len(r.Header); i += 2 {
		head += r.Header[i] + ": " + r.Header[i+1] + "\r\n"
	}
	if _, err := conn.Write([]byte(head + "\r\n")); err != nil {
		t.Fatalf("send the header: %v", err)
	}
	start := time.Now()
	ended := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(conn).ReadString('\n') // an answer, or the close
		ended <- strings.TrimSpace(line)
	}()
	var tick <-chan time.Time
	if r.Every > 0 {
		tk := time.NewTicker(r.Every)
		defer tk.Stop()
		tick = tk.C
	}
	giveUp := time.After(r.GiveUp)
	for sent := 0; ; {
		select {
		case status := <-ended:
			return SlowResult{Ended: true, Took: time.Since(start), Status: status}
		case <-giveUp:
			return SlowResult{Took: time.Since(start)}
		case <-tick:
			if sent < r.Length-1 {
				_, _ = conn.Write([]byte(" ")) // JSON whitespace; a write error shows as the close
				sent++
			}
		}
	}
}
