package browsertest

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
	"halochat/backend/testenv"
	"halochat/backend/testenv/loopback"
)

// stack is the service on 127.0.0.1 and the demo host page on localhost:
// two different sites, as on the internet.
type stack struct {
	serviceURL string
	hostURL    string
	demo       *demo.Result
	store      *store.Store
	svc        *service.Service
	api        *testenv.Client // calls as the widget makes them
}

func serveOn(t *testing.T, h http.Handler) string {
	t.Helper()
	return loopback.Serve(t, h)
}

func startStack(t *testing.T) *stack {
	t.Helper()
	return startStackWith(t, loopback.Options{})
}

// startStackWith is startStack with the service's options (an outbound
// allow-list, say).
func startStackWith(t *testing.T, o loopback.Options) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc := loopback.Start(t, o)
	if !svc.Widget.Built() {
		testenv.Missing(t, "browser tests need the widget wasm: run `make build` first (make test does)")
	}
	page, err := demo.HostPageHandler(ctx, svc.Store, svc.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(serveOn(t, page))
	return &stack{serviceURL: svc.URL, hostURL: "http://localhost:" + port + "/", demo: svc.Demo, store: svc.Store,
		svc: svc.Service, api: svc.SameOrigin()}
}

const launcher = `document.getElementById("halo-chat").shadowRoot.querySelector("button")`

func TestDemoHostPageShowsTheLauncherAndFramesTheWidget(t *testing.T) {
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)

	if err := chromedp.Do(b.Ctx, chromedp.Navigate(s.hostURL)); err != nil {
		t.Fatalf("open the host page: %v", err)
	}
	bg, err := chromedp.Run(b.Ctx, chromedp.Poll[string](
		`(function(){var b=`+launcher+`; return b ? getComputedStyle(b).backgroundColor : ""})()`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("the launcher never appeared: %v", err)
	}
	if bg != "rgb(31, 111, 235)" {
		t.Errorf("launcher colour = %s, want the default rgb(31, 111, 235)", bg)
	}
	leaked, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](
		`Object.keys(window).filter(function(k){return /halo/i.test(k) && k !== "haloChatConfig"})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(leaked) > 0 {
		t.Errorf("the loader added globals to the host page: %v", leaked)
	}

	if err := chromedp.Do(b.Ctx, chromedp.Evaluate[chromedp.Void](launcher+`.click()`)); err != nil {
		t.Fatal(err)
	}
	src, err := chromedp.Run(b.Ctx, chromedp.Poll[string](
		`(function(){var f=document.getElementById("halo-chat").shadowRoot.querySelector("iframe");
		  return f && f.className === "" ? f.src : ""})()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("clicking the launcher opened no widget window: %v", err)
	}
	if !strings.HasPrefix(src, s.serviceURL+"/chat/widget/?configId="+s.demo.Profile.ID) {
		t.Errorf("iframe src = %s, want the service's widget for profile %s", src, s.demo.Profile.ID)
	}
}

func TestWidgetWasmRendersItsWindow(t *testing.T) {
	s := startStack(t)
	b := New(t, Options{})
	b.ScreenshotOnFailure(t)

	start := time.Now()
	err := chromedp.Do(b.Ctx,
		chromedp.Navigate(s.serviceURL+"/chat/widget/?configId="+s.demo.Profile.ID+"&title=Hello%20there"),
		chromedp.WaitNotPresent(chromedp.ID("app-wasm-loader")),
	)
	if err != nil {
		t.Fatalf("the widget wasm did not start: %v", err)
	}
	t.Logf("navigation → wasm running: %v", time.Since(start))
	// The first render is the prerendered default; the title from the
	// query arrives with the update after mount.
	title, err := chromedp.Run(b.Ctx, chromedp.Poll[string](
		`(function(){var h=document.querySelector(".hc-title"); return h && h.textContent === "Hello there" ? h.textContent : ""})()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(".hc-title")))
		t.Fatalf("widget title = %q, want the one the page asked for: %v", got, err)
	}
	t.Logf("title %q shown %v after navigation", title, time.Since(start))

	// go-app's service worker is registered once the wasm runs (not
	// before: its start and install ran beside the wasm's compile) and
	// caches the app for the next view.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		state, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`navigator.serviceWorker.getRegistration().then(function(r){
			var w = r && (r.active || r.waiting || r.installing); return w ? w.state : "none"})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("read the service worker's registration: %v", err)
		}
		if state == "activated" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the widget's service worker is %q 15 s after the wasm ran, want activated", state)
		}
	}
}
