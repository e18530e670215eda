package main

import (
	"context"
	"net"
	"net/http"

	"halochat/backend/demo"
	"halochat/backend/store"
)

// demoHostHandler serves the demo host page and, beside it, the demo
// runbook, and points the demo runbook at this address.
func demoHostHandler(ctx context.Context, st *store.Store, page http.Handler, addr net.Addr) (http.Handler, error) {
	if err := demo.EnsureRunbook(ctx, st, "http://"+addr.String()+demo.RunbookPath); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", page)
	mux.Handle(demo.RunbookPath, demo.RunbookHandler(st))
	return mux, nil
}
