package service

import (
	"net/http"

	"halochat/app/console"
	"halochat/backend/precompressed"
	"halochat/backend/webapp"
	"halochat/static"
)

// newConsole prepares the agent console and admin pages (a go-app wasm of
// their own) under /console/, and the routes that serve them. The pages
// are never framed; the API they call is the guard, not the pages.
func newConsole(compressed *precompressed.Cache) (*webapp.Handler, func(*http.ServeMux), error) {
	console.Register()
	h, err := webapp.New(webapp.Options{
		Prefix: console.Prefix, Name: "halochat console", Title: "halochat console",
		Dist: static.Dist(), WasmFile: "console.wasm",
		Assets: static.Assets(), Styles: []string{"console.css"},
		FrameAncestors: func(*http.Request) string { return "'none'" },
		// The portal page (/console/portal) frames the chat widget.
		FrameSrc:   "'self'",
		Compressed: compressed,
	})
	if err != nil {
		return nil, nil, err
	}
	mount := func(mux *http.ServeMux) {
		// The console's routes are named ("/agent", "/admin/…"): go-app's
		// route table is shared with the widget, whose page is "/".
		home := func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, console.Prefix+"/agent", http.StatusFound)
		}
		mux.HandleFunc("GET "+console.Prefix+"/{$}", home)
		mux.HandleFunc("GET "+console.Prefix, home)
		mux.Handle(console.Prefix+"/", h)
	}
	return h, mount, nil
}
