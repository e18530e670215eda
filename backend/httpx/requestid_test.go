package httpx

import (
	"net/http/httptest"
	"testing"
)

func TestRequestIDKeepsOnlySaneOnes(t *testing.T) {
	for _, c := range []struct {
		in   string
		keep bool
	}{
		{"lb-7f3a.42", true},
		{"0af7651916cd43dd8448eb211c80319c", true},
		{"trace:span_1", true},
		{"", false},
		{"has space", false},
		{`quote"`, false},
		{"a=b", false},
		{"ünïcode", false},
		{string(make([]byte, 65)), false},
		{"x\nrequest_id=forged", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set(HeaderRequestID, c.in)
		got := RequestID(r)
		if kept := got == c.in; kept != c.keep {
			t.Errorf("RequestID with %q = %q: kept %v, want %v", c.in, got, kept, c.keep)
		}
		if !saneRequestID(got) {
			t.Errorf("RequestID with %q = %q, which is not sane itself", c.in, got)
		}
	}
}

func TestDirectLoopback(t *testing.T) {
	for _, c := range []struct {
		remote string
		header []string
		want   bool
	}{
		{"127.0.0.1:5000", nil, true},
		{"[::1]:5000", nil, true},
		{"10.0.0.5:5000", nil, false},
		{"127.0.0.1:5000", []string{"X-Forwarded-For", "203.0.113.9"}, false},
		{"127.0.0.1:5000", []string{"Forwarded", "for=203.0.113.9"}, false},
		{"127.0.0.1:5000", []string{"X-Real-Ip", "203.0.113.9"}, false},
	} {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = c.remote
		if c.header != nil {
			r.Header.Set(c.header[0], c.header[1])
		}
		if got := DirectLoopback(r); got != c.want {
			t.Errorf("DirectLoopback(%s %v) = %v, want %v", c.remote, c.header, got, c.want)
		}
	}
}

// FuzzRequestID: whatever a client sends as X-Request-Id, the id logged
// and answered is sane.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"lb-7f3a.42", "", "a b", "x\ny", `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header[HeaderRequestID] = []string{in}
		if got := RequestID(r); !saneRequestID(got) {
			t.Fatalf("RequestID(%q) = %q", in, got)
		}
	})
}
