// Command widgetbench measures what the widget costs a host page, in
// headless chromium on loopback: the host page's long tasks before the
// launcher is clicked, and the time from a click on the launcher to the
// widget's chatWindowOpened event (the window is up and answering) —
// cold (a new browser profile, clicked at once), prefetched (clicked after
// the idle prefetch) and warm (a second visit: HTTP cache and service
// worker). It prints a Markdown section for docs/BENCHMARKS.md.
//
//	go run ./backend/cmd/widgetbench -runs 5
//
// It needs the built widget (make build) and chromium; it sends traffic
// only to loopback and stops by itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"halochat/backend/demo"
	"halochat/backend/service"
	"halochat/backend/store"
)

func main() {
	runs := flag.Int("runs", 5, "measurements of each kind")
	chromium := flag.String("chromium", "", "chromium binary (default: chromium on PATH)")
	flag.Parse()
	if err := run(*runs, *chromium); err != nil {
		fmt.Fprintln(os.Stderr, "widgetbench:", err)
		os.Exit(1)
	}
}

const hostPage = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>host</title>
<script>
  window.__long = [];
  new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { window.__long.push(e.duration); }); })
    .observe({ type: "longtask", buffered: true });
  window.__opened = 0; window.__initialized = false;
  addEventListener("haloChat_outboundEvent_chatWindowOpened", function () { window.__opened = performance.now(); });
  addEventListener("haloChat_outboundEvent_initialized", function () { window.__initialized = true; });
  window.__click = function () {
    window.__opened = 0;
    window.__t0 = performance.now();
    document.getElementById("halo-chat").shadowRoot.querySelector("button").click();
  };
</script></head>
<body><h1>A host page</h1><p>Some content.</p>
<div id="halo-chat"></div>
<script>
  var haloChatConfig = { chatServiceUrl: "{{.Service}}", configId: "{{.ID}}", configKey: "{{.Key}}" }
</script>
<script src="{{.Service}}/chat/index.js"></script>
</body></html>`

func run(runs int, chromium string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if chromium == "" {
		p, err := exec.LookPath("chromium")
		if err != nil {
			return fmt.Errorf("no chromium on PATH (apt-get install -y chromium): %w", err)
		}
		chromium = p
	}
	dir, err := os.MkdirTemp("", "widgetbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "bench.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	res, err := demo.Seed(ctx, st)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	serviceURL := "http://" + ln.Addr().String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.New(ctx, service.Options{Store: st, PublicURL: serviceURL, Logger: quiet})
	if err != nil {
		return err
	}
	if !svc.Widget.Built() {
		return fmt.Errorf("the widget wasm is not built: run make build")
	}
	go func() { _ = http.Serve(ln, svc.Handler) }()
	tpl := template.Must(template.New("host").Parse(hostPage))
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() {
		_ = http.Serve(hl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = tpl.Execute(w, map[string]string{"Service": serviceURL, "ID": res.Profile.ID, "Key": res.Profile.Key})
		}))
	}()
	_, port, _ := net.SplitHostPort(hl.Addr().String())
	hostURL := "http://localhost:" + port + "/"

	var cold, prefetched, warm, longTasks, consoleCold, consoleWarm []float64
	for i := 0; i < runs; i++ {
		err := func() error {
			bctx, done := browser(ctx, chromium, filepath.Join(dir, fmt.Sprintf("profile-%d", i)))
			defer done()
			// Cold: a new profile, clicked as soon as the launcher is there.
			d, lt, err := measure(bctx, hostURL, false)
			if err != nil {
				return fmt.Errorf("cold: %w", err)
			}
			cold, longTasks = append(cold, d), append(longTasks, lt...)
			// Warm: the same profile again (cache, service worker).
			if d, _, err = measure(bctx, hostURL, false); err != nil {
				return fmt.Errorf("warm: %w", err)
			}
			warm = append(warm, d)
			// Prefetched: clicked after the idle prefetch has run.
			if d, _, err = measure(bctx, hostURL, true); err != nil {
				return fmt.Errorf("prefetched: %w", err)
			}
			prefetched = append(prefetched, d)
			// The agent console (its own wasm): navigation → log-in form
			// usable, first visit then second.
			if d, err = loadConsole(bctx, serviceURL+"/console/login"); err != nil {
				return fmt.Errorf("console, cold: %w", err)
			}
			consoleCold = append(consoleCold, d)
			if d, err = loadConsole(bctx, serviceURL+"/console/login"); err != nil {
				return fmt.Errorf("console, warm: %w", err)
			}
			consoleWarm = append(consoleWarm, d)
			return nil
		}()
		if err != nil {
			return err
		}
	}
	fmt.Printf("## Widget in a browser (backend/cmd/widgetbench, %d runs each)\n\n", runs)
	fmt.Printf("Headless chromium on loopback: the host page on http://localhost, the service on http://127.0.0.1.\n")
	fmt.Printf("Click → interactive is the launcher click to the widget's chatWindowOpened event, seen by the host page.\n\n")
	fmt.Println("| measure | median | max | target |")
	fmt.Println("| --- | --- | --- | --- |")
	row := func(name string, v []float64, target string) {
		fmt.Printf("| %s | %.0f ms | %.0f ms | %s |\n", name, median(v), slices.Max(v), target)
	}
	row("click → interactive, cold (new profile, clicked at once)", cold, "≤ 800 ms")
	row("click → interactive, warm (second visit)", warm, "≤ 250 ms")
	row("click → interactive, after the idle prefetch", prefetched, "≤ 250 ms")
	total := 0.0
	for _, d := range longTasks {
		total += d
	}
	fmt.Printf("\nLong tasks on the host page before the click (cold loads): %d, %.0f ms in all (target: none).\n", len(longTasks), total)
	fmt.Printf("\nAgent console (its own wasm, %s): navigation to /console/login → the log-in form usable (the wasm running).\n\n", consoleSize())
	fmt.Println("| measure | median | max |")
	fmt.Println("| --- | --- | --- |")
	fmt.Printf("| console load, first visit | %.0f ms | %.0f ms |\n", median(consoleCold), slices.Max(consoleCold))
	fmt.Printf("| console load, second visit | %.0f ms | %.0f ms |\n", median(consoleWarm), slices.Max(consoleWarm))
	return nil
}

// loadConsole navigates to the console's log-in page and returns the
// time until go-app's loader is gone and the e-mail field is there.
func loadConsole(ctx context.Context, url string) (float64, error) {
	t0 := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return 0, err
	}
	ready := `!document.getElementById("app-wasm-loader") && !!document.querySelector("input[type=email], input[type=password]")`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(30*time.Second),
		chromedp.WithPollingInterval(5*time.Millisecond))); err != nil {
		return 0, fmt.Errorf("wait for the console: %w", err)
	}
	return float64(time.Since(t0)) / 1e6, nil
}

// consoleSize describes the console wasm's sizes on disk.
func consoleSize() string {
	size := func(p string) string {
		fi, err := os.Stat(p)
		if err != nil {
			return "n/a"
		}
		return fmt.Sprintf("%.2f MB", float64(fi.Size())/1e6)
	}
	return fmt.Sprintf("%s raw, %s gzip, %s brotli", size("static/dist/console.wasm"), size("static/dist/console.wasm.gz"), size("static/dist/console.wasm.br"))
}

func browser(ctx context.Context, exe, profile string) (context.Context, func()) {
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true))
	bctx, cancel := chromedp.NewContext(actx)
	return bctx, func() { cancel(); cancelAlloc() }
}

// measure loads the host page, optionally waits for the widget's idle
// prefetch, clicks the launcher and returns the click → chatWindowOpened
// time and the long tasks seen before the click.
func measure(ctx context.Context, hostURL string, waitPrefetch bool) (float64, []float64, error) {
	err := chromedp.Do(ctx, chromedp.Navigate(hostURL))
	if err != nil {
		return 0, nil, err
	}
	ready := `!!document.getElementById("halo-chat").shadowRoot && !!document.getElementById("halo-chat").shadowRoot.querySelector("button")`
	if waitPrefetch {
		ready = `window.__initialized`
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		return 0, nil, fmt.Errorf("wait for the launcher: %w", err)
	}
	long, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.__long.slice()`))
	if err != nil {
		return 0, nil, err
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__click()`)); err != nil {
		return 0, nil, err
	}
	d, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.__opened ? window.__opened - window.__t0 : 0`,
		chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(5*time.Millisecond)))
	if err != nil {
		return 0, nil, fmt.Errorf("wait for chatWindowOpened: %w", err)
	}
	return d, long, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
