package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// pprofListener listens on addr, which must be a loopback address: the
// profiles show every request's stack and must not be reachable from
// outside the machine.
func pprofListener(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--pprof %q: only a loopback address is allowed (e.g. 127.0.0.1:6060)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for pprof on %s: %w", addr, err)
	}
	return ln, nil
}

// pprofHandler serves net/http/pprof's pages, with mutex and block
// profiling switched on (they sample only while the server runs with
// --pprof).
func pprofHandler() http.Handler {
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(10_000) // one sample per 10 µs blocked
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
