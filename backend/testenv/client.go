package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// Client sends requests to a server under test and reads each answer
// whole. It is a value: With, Bearer, Browser and For return changed
// copies, so one client per caller (a visitor, an agent, a browser with
// its cookies) derives from the server's.
type Client struct {
	t      testing.TB
	base   string
	header http.Header
	hc     *http.Client
}

// NewClient returns a client of the server at base (a URL without a
// trailing slash) that sends the header pairs (name, value) with every
// request and fails t on a transport error.
func NewClient(t testing.TB, base string, header ...string) *Client {
	c := &Client{t: t, base: strings.TrimRight(base, "/"), header: http.Header{}, hc: http.DefaultClient}
	setPairs(c.header, header)
	return c
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base }

// With returns a copy that also sends the header pairs (name, value); a
// pair with the value "" stops sending that header.
func (c *Client) With(header ...string) *Client {
	cp := *c
	cp.header = c.header.Clone()
	setPairs(cp.header, header)
	return &cp
}

// Bearer returns a copy that authenticates with token
// (Authorization: Bearer), or with nothing when token is "".
func (c *Client) Bearer(token string) *Client {
	if token == "" {
		return c.With("Authorization", "")
	}
	return c.With("Authorization", "Bearer "+token)
}

// Browser returns a copy that keeps the cookies it is given in a jar of
// its own and does not follow redirects, as a browser's fetch with
// credentials and redirect "manual" does.
func (c *Client) Browser() *Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		c.t.Fatalf("a cookie jar: %v", err)
	}
	cp := *c
	cp.hc = &http.Client{Jar: jar, Timeout: c.hc.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &cp
}

// Jar is the client's cookie jar (nil unless it is a Browser).
func (c *Client) Jar() http.CookieJar { return c.hc.Jar }

// Timeout returns a copy whose requests give up after d.
func (c *Client) Timeout(d time.Duration) *Client {
	cp := *c
	hc := *c.hc
	hc.Timeout = d
	cp.hc = &hc
	return &cp
}

// For returns a copy that reports to t (a subtest's, or another
// goroutine's test).
func (c *Client) For(t testing.TB) *Client {
	cp := *c
	cp.t = t
	return &cp
}

// Do sends a request and returns the answer, failing the test when there
// is none. body nil sends none; a string or []byte is sent as it is;
// anything else is sent as JSON, with Content-Type: application/json
// unless a header pair says otherwise. header holds this request's
// (name, value) pairs, over the client's own.
func (c *Client) Do(method, path string, body any, header ...string) *Response {
	c.t.Helper()
	r, err := c.Send(method, path, body, header...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// Send is Do that returns the transport's error rather than failing the
// test: for servers that may be down on purpose.
func (c *Client) Send(method, path string, body any, header ...string) (*Response, error) {
	c.t.Helper()
	what := method + " " + path
	var rd io.Reader
	isJSON := false
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("%s: encode the body: %v", what, err)
		}
		rd, isJSON = bytes.NewReader(js), true
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	req.Header = c.header.Clone()
	if isJSON && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	setPairs(req.Header, header)
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: read the answer: %w", what, err)
	}
	return &Response{t: c.t, what: what, Status: res.StatusCode, Header: res.Header, Body: data}, nil
}

// Call sends a request as Do does, decodes a non-empty answer into out
// (unless out is nil) and returns the status.
func (c *Client) Call(method, path string, body, out any, header ...string) int {
	c.t.Helper()
	r := c.Do(method, path, body, header...)
	if out != nil && len(r.Body) > 0 {
		r.Decode(out)
	}
	return r.Status
}

// setPairs sets the (name, value) pairs on h; "" deletes the header.
func setPairs(h http.Header, pairs []string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			h.Del(pairs[i])
		} else {
			h.Set(pairs[i], pairs[i+1])
		}
	}
}

// Response is an answer, read whole.
type Response struct {
	t      testing.TB
	what   string
	Status int
	Header http.Header
	Body   []byte
}

// Expect fails the test unless the status is one of statuses, and
// returns r.
func (r *Response) Expect(statuses ...int) *Response {
	r.t.Helper()
	for _, s := range statuses {
		if r.Status == s {
			return r
		}
	}
	r.t.Fatalf("%s: status %d, want %v: %s", r.what, r.Status, statuses, r.Body)
	return r
}

// Decode decodes the body, which must be JSON, into out, and returns r.
func (r *Response) Decode(out any) *Response {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, out); err != nil {
		r.t.Fatalf("%s: decode the answer %q: %v", r.what, r.Body, err)
	}
	return r
}

// APIError reads an {"error":{"code","message"}} body ("", "" when the
// body is not one).
func (r *Response) APIError() (code, message string) {
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &eb)
	return eb.Error.Code, eb.Error.Message
}

// Cookies parses the Set-Cookie headers.
func (r *Response) Cookies() []*http.Cookie {
	return (&http.Response{Header: r.Header}).Cookies()
}
