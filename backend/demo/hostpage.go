package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"halochat/backend/store"
	"halochat/static"
)

// HostPageHandler serves the demo host page: a page of "another site"
// holding exactly the Halo embed snippet, filled in with the demo profile
// and the service's URL.
func HostPageHandler(ctx context.Context, st *store.Store, serviceURL string) (http.Handler, error) {
	p, err := st.GetProfileByName(ctx, ProfileName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errors.New("the demo host page needs the demo profile: run `halochat demo` first")
	}
	if err != nil {
		return nil, fmt.Errorf("demo host page: %w", err)
	}
	tpl, err := template.New("demo").Parse(string(static.DemoHostPage()))
	if err != nil {
		return nil, fmt.Errorf("demo host page template: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		var b bytes.Buffer
		err := tpl.Execute(&b, map[string]string{
			"ServiceURL": serviceURL, "ConfigID": p.ID, "ConfigKey": p.Key,
			"HostOrigin": "http://" + r.Host,
		})
		if err != nil {
			http.Error(w, "render the demo page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b.Bytes())
	}), nil
}
