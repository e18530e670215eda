package outbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// loopbackAllow opens exactly srv's address:port.
func loopbackAllow(t *testing.T, srv *httptest.Server) AllowList {
	t.Helper()
	ap, err := netip.ParseAddrPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return AllowList{Ports: []netip.AddrPort{ap}}
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestClient(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "other")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, other.URL, http.StatusFound)
		case "/big":
			io.WriteString(w, strings.Repeat("x", 101))
		default:
			io.WriteString(w, strings.Repeat("x", 100))
		}
	}))
	defer srv.Close()
	allowed := NewClient(Options{Allow: loopbackAllow(t, srv), MaxResponseBytes: 100})
	for _, tt := range []struct {
		name    string
		client  *http.Client
		url     string
		status  int
		body    string
		wantErr error
	}{
		{name: "allowed port, answer at the bound", client: allowed, url: srv.URL + "/", status: 200, body: strings.Repeat("x", 100)},
		{name: "answer past the bound", client: allowed, url: srv.URL + "/big", status: 200, wantErr: ErrTooLarge},
		{name: "redirect answered, not followed", client: allowed, url: srv.URL + "/redirect", status: http.StatusFound},
		{name: "another loopback port", client: allowed, url: other.URL + "/", wantErr: ErrBlocked},
		{name: "loopback without allow-list", client: NewClient(Options{}), url: srv.URL + "/", wantErr: ErrBlocked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, err := get(t, tt.client, tt.url)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || (tt.body != "" && string(body) != tt.body) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.status, tt.body)
			}
		})
	}
}

func TestInternal(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.0.0.1", true}, {"172.16.0.1", true}, {"192.168.0.1", true},
		{"169.254.169.254", true}, {"fe80::1", true}, {"100.64.0.1", true}, {"0.0.0.0", true}, {"::", true},
		{"fd00:ec2::254", true}, {"::ffff:127.0.0.1", true}, {"224.0.0.1", true}, {"198.18.0.1", true},
		{"93.184.216.34", false}, {"2606:4700::1111", false}, {"8.8.8.8", false},
	} {
		if got := Internal(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Internal(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
