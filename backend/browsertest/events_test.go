package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"halochat/app/flow"
	"halochat/backend/store"
	"halochat/backend/storetest"
)

// hostPage serves a page on "another site" with exactly the Halo snippet,
// under a strict Content-Security-Policy (a nonce for the inline config),
// recording every outbound event in window.__seen. extraConfig is added to
// haloChatConfig; after runs right after the loader's script tag.
func (s *stack) hostPage(t *testing.T, extraConfig, after string) string {
	t.Helper()
	const nonce = "n0nce4test"
	tpl := template.Must(template.New("host").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><link rel="icon" href="data:,"><title>host</title></head>
<body><h1>A host page</h1>
<div id="halo-chat"></div>
<script nonce="{{.Nonce}}">
  window.__seen = [];
  ["initialized","chatWindowOpened","chatWindowClosed","chatStarted","messageReceived","unreadCount","chatEnded","chatRated","upgradeAnonChat","error"].forEach(function (n) {
    window.addEventListener("haloChat_outboundEvent_" + n, function (e) { window.__seen.push({ name: n, detail: e.detail }); });
  });
  var haloChatConfig = {
    chatServiceUrl: "{{.Service}}/api",
    configId: "{{.ID}}",
    configKey: "{{.Key}}",
    {{.Extra}}
  }
</script>
<script src="{{.Service}}/chat/index.js"></script>
<script nonce="{{.Nonce}}">{{.After}}</script>
</body></html>`))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+nonce+"' "+s.serviceURL+
			"; frame-src "+s.serviceURL+"; style-src 'self'; img-src 'self' data:")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = tpl.Execute(w, map[string]any{"Nonce": nonce, "Service": s.serviceURL, "ID": s.demo.Profile.ID,
			"Key": s.demo.Profile.Key, "Extra": template.JS(extraConfig), "After": template.JS(after)})
	})
	_, port, _ := net.SplitHostPort(serveOn(t, mux))
	return "http://localhost:" + port + "/"
}

// visitorOn opens a fresh browser (o) on a host page of the demo profile
// (extraConfig as hostPage's) and waits for its first initialized event;
// it returns the browser and the page's URL.
func (s *stack) visitorOn(t *testing.T, o Options, extraConfig string) (*Browser, string) {
	t.Helper()
	b := New(t, o)
	b.ScreenshotOnFailure(t)
	host := s.hostPage(t, extraConfig, "")
	b.open(t, host)
	b.waitEvent(t, "initialized", 1)
	return b, host
}

// profileWithFlow stores f as a new flow and a new external profile that
// runs it, logging the demo's ticket type.
func (s *stack) profileWithFlow(t *testing.T, f *flow.Flow) *store.ChatProfile {
	t.Helper()
	ctx := context.Background()
	fl := storetest.SaveFlow(t, s.store, f, flow.Schema{})
	p := &store.ChatProfile{Name: f.Name, Access: store.AccessPortalAndExternal, FlowID: fl.ID, TicketTypeID: s.demo.TicketType.ID}
	if err := s.store.CreateProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// token signs an HS256 identity token with the demo profile's secret.
func (s *stack) token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	return storetest.DemoToken(t, s.demo, claims)
}

// event is one recorded outbound event.
type event struct {
	Name   string         `json:"name"`
	Detail map[string]any `json:"detail"`
}

// waitEvent waits until the host page has seen the n-th (1-based) event
// of that name and returns it.
func (b *Browser) waitEvent(t *testing.T, name string, n int) event {
	t.Helper()
	raw, err := chromedp.Run(b.Ctx, chromedp.Poll[string](fmt.Sprintf(
		`(function(){var e=(window.__seen||[]).filter(function(x){return x.name===%q}); return e.length>=%d ? JSON.stringify(e[%d]) : ""})()`,
		name, n, n-1), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("no %s event #%d: %v; seen: %v", name, n, err, b.events(t))
	}
	var ev event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// events returns every outbound event the host page has seen.
func (b *Browser) events(t *testing.T) []event {
	t.Helper()
	raw, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`JSON.stringify(window.__seen||[])`))
	if err != nil {
		return nil
	}
	var evs []event
	_ = json.Unmarshal([]byte(raw), &evs)
	return evs
}

func (b *Browser) count(t *testing.T, name string) int {
	n := 0
	for _, e := range b.events(t) {
		if e.Name == name {
			n++
		}
	}
	return n
}

// dispatch sends an inbound event from the host page.
func (b *Browser) dispatch(t *testing.T, name string, detail any) {
	t.Helper()
	d, _ := json.Marshal(detail)
	js := fmt.Sprintf(`window.dispatchEvent(new CustomEvent("haloChat_inboundEvent_%s", {detail: %s}))`, name, d)
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		t.Fatalf("dispatch %s: %v", name, err)
	}
}

// widget returns a context attached to the widget's iframe (a target of
// its own: the service is another site), once its wasm runs. A page that
// has not booted the widget yet gets the visitor's intent first: the
// pointer over the launcher.
func (b *Browser) widget(t *testing.T, serviceURL string) context.Context {
	t.Helper()
	ctx := b.widgetFrame(t, serviceURL)
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(chromedp.ID("app-wasm-loader"))); err != nil {
		t.Fatalf("the widget iframe did not start: %v", err)
	}
	return ctx
}

// hover moves the (synthetic) pointer over the launcher: intent.
func (b *Browser) hover(t *testing.T) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+`.dispatchEvent(new PointerEvent("pointerenter"))`)); err != nil {
		t.Fatalf("hover over the launcher: %v", err)
	}
}

// widgetFrame attaches to the widget's iframe as soon as it exists,
// wasm or not (the static window).
func (b *Browser) widgetFrame(t *testing.T, serviceURL string) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	if n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.getElementById("halo-chat").shadowRoot.querySelectorAll("iframe").length`)); err == nil && n == 0 {
		b.hover(t)
	}
	for time.Now().Before(deadline) {
		targets, err := chromedp.Targets(b.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range targets {
			if tg.Type == "iframe" && strings.HasPrefix(tg.URL, serviceURL+"/chat/widget/") {
				ctx, cancel := chromedp.NewContext(b.Ctx, chromedp.WithTargetID(tg.TargetID), chromedp.WithDetachOnCancel())
				t.Cleanup(cancel)
				b.collect(ctx)
				b.mu.Lock()
				b.frames = append(b.frames, ctx)
				b.mu.Unlock()
				return ctx
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no widget iframe target")
	return nil
}

// text waits for an element of the widget whose text contains want.
func waitText(t *testing.T, ctx context.Context, selector, want string) {
	t.Helper()
	js := fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).some(function(e){return e.textContent.indexOf(%q)>=0})`, selector, want)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("widget never showed %q in %s: %v\nit shows:\n%s", want, selector, err, got)
	}
}

// expectBanner waits for the error banner the test provoked (an element
// of selector whose text contains want) and accepts it.
func (b *Browser) expectBanner(t *testing.T, ctx context.Context, selector, want string) {
	t.Helper()
	b.ExpectBanner(want)
	waitText(t, ctx, selector, want)
}
