// Package browsertest starts headless chromium for the project's browser
// tests and records what must fail them: uncaught exceptions, console
// errors, Content-Security-Policy violations and error banners, on every
// page loaded.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"halochat/backend/testenv"
)

// Browser is one headless chromium with one tab.
type Browser struct {
	Ctx context.Context

	mu      sync.Mutex
	logged  []logged          // every console error and exception
	allowed []string          // console errors containing these are expected
	banners []string          // error banners containing these are expected
	frames  []context.Context // widget iframes the test attached to
}

// logged is one console error or exception: its text, and where.
type logged struct{ text, where string }

// cspProbe makes every document report CSP violations on the console,
// where the Browser collects them.
const cspProbe = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI + " on " + location.href);
});`

// bannerProbe makes every document report the error banners it shows
// (the console's .cc-error, the widget's .hc-notice) on the console, once
// per text, where the Browser collects them: a test that checks only what
// it expects would otherwise pass beside a banner it never looked at. A
// test that provokes a banner accepts its text (ExpectBanner).
const bannerProbe = `(function () {
  var told = {};
  function look() {
    document.querySelectorAll(".cc-error, .hc-notice").forEach(function (e) {
      var t = e.textContent.trim();
      if (t && !told[t]) { told[t] = true; console.error("` + bannerPrefix + `" + t); }
    });
  }
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
})();`

// bannerPrefix starts the console error of a banner.
const bannerPrefix = "error banner: "

// Options change how the browser starts.
type Options struct {
	// BlockThirdPartyCookies starts chromium refusing third-party cookies
	// and partitioning third-party storage, as privacy-minded browsers do.
	BlockThirdPartyCookies bool
	// Languages are the browser's preferred languages, best first
	// ("de-DE,de"): navigator.languages and Accept-Language. Empty:
	// chromium's own (en-US).
	Languages string
	// FramesInProcess keeps cross-site frames in their page's process
	// (--disable-site-isolation-trials), as most Android phones do.
	FramesInProcess bool
}

// New gives the test a browser of its own (or skips, see
// testenv.Chromium) for its duration: a browser context — cookies,
// storage, cache and service workers of its own, as a fresh profile — in
// the package's chromium for o (chromiums). The test fails at its end if
// any page logged a problem.
func New(t *testing.T, o Options) *Browser {
	t.Helper()
	parent := running.get(t, o)
	ctx, cancelCtx := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &Browser{Ctx: ctx}
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	b.collect(ctx)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe + bannerProbe})
		return err
	}))
	if err != nil {
		t.Fatalf("install the CSP and banner probes: %v", err)
	}
	t.Cleanup(func() {
		if p := b.Problems(); len(p) > 0 {
			t.Errorf("the browser logged %d problem(s):\n  %s", len(p), strings.Join(p, "\n  "))
		}
	})
	return b
}

// chromiums are the package's running chromium processes, one per
// Options (flags chromium takes at start), each started by the first test
// that asks for it and stopped by Close when the tests are done. A
// chromium started for each test cost 1.3-1.8 s of the test's ~5; a
// browser context costs a few ms and isolates as much.
type chromiums struct {
	mu      sync.Mutex
	started map[Options]*chromium
}

// chromium is one running chromium: the context of its first tab, in
// which New opens browser contexts.
type chromium struct {
	ctx    context.Context
	cancel func()
	dir    string
}

// running is the package's one set: the tests share it, serially.
var running = &chromiums{started: map[Options]*chromium{}}

// Close stops every chromium the tests started: TestMain calls it.
func Close() {
	running.mu.Lock()
	defer running.mu.Unlock()
	for o, c := range running.started {
		c.stop()
		delete(running.started, o)
	}
}

// stop ends the chromium and removes its profile.
func (c *chromium) stop() {
	c.cancel()
	_ = os.RemoveAll(c.dir)
}

// get returns the chromium for o, started now if it is not running (or
// no longer: a crash fails one test, not every test after it).
func (cs *chromiums) get(t *testing.T, o Options) context.Context {
	t.Helper()
	exe := testenv.Chromium(t)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.started[o]; c != nil {
		if c.ctx.Err() == nil {
			return c.ctx
		}
		c.stop()
		delete(cs.started, o)
	}
	dir, err := os.MkdirTemp("", "halochat-chromium-")
	if err != nil {
		t.Fatalf("chromium's profile directory: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		// V8 compiles the wasm with its baseline compiler only (Liftoff),
		// never tiering hot functions up to TurboFan: the tests check what
		// the pages do, not how fast, and the console's 10 MB wasm and the
		// widget's 7.6 MB were compiled anew in every test's fresh browser
		// context. The whole package measured 783 core-seconds (417 s) on 2
		// cores with tiering, 605 (324 s) without. widgetbench, which
		// measures speed, runs V8 as shipped.
		chromedp.Flag("js-flags", "--liftoff-only"),
	}
	if o.BlockThirdPartyCookies {
		opts = append(opts, chromedp.Flag("block-third-party-cookies", true))
	}
	if o.FramesInProcess {
		opts = append(opts, chromedp.Flag("disable-site-isolation-trials", true))
	}
	if o.Languages != "" {
		first, _, _ := strings.Cut(o.Languages, ",")
		opts = append(opts, chromedp.Flag("lang", first), chromedp.Flag("accept-lang", o.Languages))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	c := &chromium{ctx: ctx, dir: dir, cancel: func() { cancelCtx(); cancelAlloc() }}
	if err := chromedp.Do(ctx); err != nil {
		c.stop()
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	cs.started[o] = c
	return ctx
}

// Allow accepts console errors containing substr (a test that provokes an
// error the widget must log), whenever they were logged.
func (b *Browser) Allow(substr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, substr)
}

// ExpectBanner accepts error banners containing want (a test that
// provokes one), whenever they were shown.
func (b *Browser) ExpectBanner(want string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.banners = append(b.banners, want)
}

// collect records the console errors and exceptions of one target (the
// page, or an iframe of another site, which is a target of its own).
func (b *Browser) collect(ctx context.Context) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
				continue
			}
			b.mu.Lock()
			b.logged = append(b.logged, logged{text: m.Text, where: fmt.Sprintf("%s (%s:%d)", m.Type, m.URL, m.Line+1)})
			b.mu.Unlock()
		}
	}()
}

// Problems returns what the pages logged so far that the test did not
// expect (Allow, ExpectBanner).
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range b.logged {
		if !b.expected(l.text) {
			out = append(out, l.where+": "+l.text)
		}
	}
	return out
}

func (b *Browser) expected(text string) bool {
	for _, a := range b.allowed {
		if strings.Contains(text, a) {
			return true
		}
	}
	banner, isBanner := strings.CutPrefix(text, bannerPrefix)
	for _, w := range b.banners {
		if isBanner && strings.Contains(banner, w) {
			return true
		}
	}
	return false
}

// Screenshot saves a PNG of the tab under .artifacts/ at the module root
// (or HALOCHAT_ARTIFACTS) and returns its path.
func (b *Browser) Screenshot(t *testing.T, name string) string {
	t.Helper()
	return screenshot(t, b.Ctx, name)
}

func screenshot(t *testing.T, ctx context.Context, name string) string {
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	dir := os.Getenv("HALOCHAT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(moduleRoot(), ".artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot dir: %v", err)
		return ""
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Logf("write screenshot: %v", err)
		return ""
	}
	return p
}

// ScreenshotOnFailure registers a screenshot of the tab if the test fails.
func (b *Browser) ScreenshotOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
			if p := b.Screenshot(t, name); p != "" {
				t.Logf("screenshot of the failure: %s", p)
			}
			b.mu.Lock()
			frames := append([]context.Context(nil), b.frames...)
			b.mu.Unlock()
			for i, f := range frames {
				if p := screenshot(t, f, fmt.Sprintf("%s_widget%d", name, i)); p != "" {
					t.Logf("screenshot of widget frame %d: %s", i, p)
				}
				if text, err := chromedp.Run(f, chromedp.Evaluate[string](`document.body.innerText`)); err == nil {
					t.Logf("widget frame %d shows:\n%s", i, text)
				}
			}
		}
	})
}

func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
