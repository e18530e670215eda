package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// starter sends chat starts on one kept-alive HTTP/1.1 connection of its
// own, written and read in place: the starts-only run's client. net/http's
// Transport hands each request and response between goroutines of the
// connection's own; on the two cores the node shares, that was most of
// this process's work a start.
type starter struct {
	l    *load
	addr string // host:port
	conn net.Conn
	br   *bufio.Reader
}

func (l *load) newStarter() (*starter, error) {
	u, err := url.Parse(l.base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("the starts' client needs an http://host:port URL, not %q", l.base)
	}
	return &starter{l: l, addr: u.Host}, nil
}

// start starts visitor i's chat as the widget does (startChat), timing it
// as startVisitor does.
func (s *starter) start(ctx context.Context, i int) {
	t0 := time.Now()
	err := s.post(ctx, i)
	if err != nil {
		s.close()
		s.l.startErrs.Add(1)
		s.l.fail("start %d: %v", i, err)
		return
	}
	s.l.startLat.add(float64(time.Since(t0)) / 1e6)
	s.l.started.Add(1)
	s.l.startsDone.Store(time.Now().UnixNano())
}

func (s *starter) post(ctx context.Context, i int) error {
	if s.conn == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			return err
		}
		s.conn, s.br = c, bufio.NewReaderSize(c, 16<<10)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = s.conn.SetDeadline(dl)
	}
	body := s.l.startBodies[i]
	head := "POST /chat/api/v1/start HTTP/1.1\r\nHost: " + s.addr + "\r\nContent-Type: application/json\r\nOrigin: " +
		s.l.base + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	req := net.Buffers{[]byte(head), body}
	if _, err := req.WriteTo(s.conn); err != nil {
		return err
	}
	res, err := http.ReadResponse(s.br, nil)
	if err != nil {
		return err
	}
	var start startAnswer
	err = json.NewDecoder(res.Body).Decode(&start)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode/100 != 2 || err != nil || start.ChatID == "" || start.ResumeSecret == "" {
		return fmt.Errorf("%s (%v)", res.Status, err)
	}
	if res.Close {
		s.close()
	}
	return nil
}

func (s *starter) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.br = nil, nil
	}
}
