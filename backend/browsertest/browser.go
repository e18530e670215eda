// Package browsertest starts headless chromium for the project's browser
// tests and records what must fail them: uncaught exceptions, console
// errors and Content-Security-Policy violations, on every page loaded.
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

	mu       sync.Mutex
	problems []string
	allowed  []string
	frames   []context.Context // widget iframes the test attached to
}

// cspProbe makes every document report CSP violations on the console,
// where the Browser collects them.
const cspProbe = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI + " on " + location.href);
});`

// Options change how the browser starts.
type Options struct {
	// BlockThirdPartyCookies starts chromium refusing third-party cookies
	// and partitioning third-party storage, as privacy-minded browsers do.
	BlockThirdPartyCookies bool
}

// New starts chromium (or skips, see testenv.Chromium) for the test's
// duration. The test fails at its end if any page logged a problem.
func New(t *testing.T, o Options) *Browser {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
	}
	if o.BlockThirdPartyCookies {
		opts = append(opts, chromedp.Flag("block-third-party-cookies", true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &Browser{Ctx: ctx}
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	b.collect(ctx)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	}))
	if err != nil {
		t.Fatalf("install the CSP probe: %v", err)
	}
	t.Cleanup(func() {
		if p := b.Problems(); len(p) > 0 {
			t.Errorf("the browser logged %d problem(s):\n  %s", len(p), strings.Join(p, "\n  "))
		}
	})
	return b
}

// Allow accepts console errors containing substr (a test that provokes an
// error the widget must log).
func (b *Browser) Allow(substr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.allowed = append(b.allowed, substr)
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
			ok := false
			for _, a := range b.allowed {
				ok = ok || strings.Contains(m.Text, a)
			}
			if !ok {
				b.problems = append(b.problems, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
			}
			b.mu.Unlock()
		}
	}()
}

// Problems returns what the pages logged so far.
func (b *Browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
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
