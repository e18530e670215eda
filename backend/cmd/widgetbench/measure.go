package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

type bench struct {
	opts options
	env  *env
	dir  string
	n    int // browser profiles made
}

// results are one mode's or one link's figures, a value a run.
type results struct {
	bytesBefore                  []float64 // KB the service sent before the click
	longBefore                   []float64 // long tasks before the click, a run
	longBeforeMax                []float64 // the longest, ms
	paintedCold, paintedWarm     []float64
	interactiveCold              []float64
	interactiveWarm              []float64
	longBetween                  []float64 // long tasks between click and interactive (cold)
	longBetweenMax               []float64
	floorCold, floorWarm         []float64 // the bare app's click → running
	history                      []float64 // navigation → the resumed chat announced
	consoleCold, consoleWarm     []float64
	historyMissing, paintMissing int
}

// link is an emulated network.
type link struct {
	name        string
	mbit, rttMs float64
}

var (
	fast4G = link{"Fast 4G (9 Mbit/s, 60 ms)", 9, 60}
	slow4G = link{"slow 4G (1.6 Mbit/s, 150 ms)", 1.6, 150}
)

func (b *bench) browser(ctx context.Context, isolated bool) (context.Context, func()) {
	b.n++
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(b.opts.chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(filepath.Join(b.dir, fmt.Sprintf("profile-%d", b.n))),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
	}
	if !isolated {
		opts = append(opts, chromedp.Flag("disable-site-isolation-trials", true),
			chromedp.Flag("disable-features", "IsolateOrigins,site-per-process"))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancel := chromedp.NewContext(actx)
	return bctx, func() { cancel(); cancelAlloc() }
}

// inBrowsers runs measure once a run, each time in a new browser profile.
func (b *bench) inBrowsers(ctx context.Context, isolated bool, measure func(context.Context) error) error {
	for i := 0; i < b.opts.runs; i++ {
		bctx, done := b.browser(ctx, isolated)
		err := measure(bctx)
		done()
		if err != nil {
			return err
		}
	}
	return nil
}

// measureMode takes every figure of one site-isolation mode.
func (b *bench) measureMode(ctx context.Context, isolated bool) (*results, error) {
	r := &results{}
	err := b.inBrowsers(ctx, isolated, func(bctx context.Context) error {
		if err := b.cold(bctx, r); err != nil {
			return fmt.Errorf("cold: %w", err)
		}
		c, err := b.click(bctx)
		if err != nil {
			return fmt.Errorf("warm: %w", err)
		}
		r.addWarm(c)
		if err := b.floor(bctx, r); err != nil {
			return fmt.Errorf("bare app: %w", err)
		}
		if _, err := os.Stat("static/dist/console.wasm"); isolated && err == nil {
			if err := b.console(bctx, r); err != nil {
				return err
			}
		}
		// Last: leaving it detaches from the widget frame's target.
		if err := b.resume(bctx, isolated, r); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		return nil
	})
	return r, err
}

// measureLink takes the click figures over an emulated link, with the
// widget's frame in the page's process (CDP's emulation holds for one
// target).
func (b *bench) measureLink(ctx context.Context, l link) (*results, error) {
	r := &results{}
	rate := l.mbit * 1e6 / 8
	err := b.inBrowsers(ctx, false, func(bctx context.Context) error {
		if _, err := chromedp.Call(bctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: l.rttMs, DownloadThroughput: rate, UploadThroughput: rate}},
		}); err != nil {
			return fmt.Errorf("emulate the network: %w", err)
		}
		c, err := b.click(bctx)
		if err != nil {
			return fmt.Errorf("cold: %w", err)
		}
		r.addCold(c)
		if c, err = b.click(bctx); err != nil {
			return fmt.Errorf("warm: %w", err)
		}
		r.addWarm(c)
		return nil
	})
	return r, err
}

// clickFigures are one click's measures.
type clickFigures struct {
	painted, interactive float64 // ms after the click; painted < 0: never
	longBetween          [][2]float64
}

func (r *results) addCold(c clickFigures) {
	r.add(&r.interactiveCold, &r.paintedCold, c)
	r.longBetween = append(r.longBetween, float64(len(c.longBetween)))
	r.longBetweenMax = append(r.longBetweenMax, longest(c.longBetween))
}

func (r *results) addWarm(c clickFigures) { r.add(&r.interactiveWarm, &r.paintedWarm, c) }

func (r *results) add(interactive, painted *[]float64, c clickFigures) {
	*interactive = append(*interactive, c.interactive)
	if c.painted < 0 {
		r.paintMissing++
		return
	}
	*painted = append(*painted, c.painted)
}

func longest(tasks [][2]float64) float64 {
	m := 0.0
	for _, t := range tasks {
		m = max(m, t[1])
	}
	return m
}

// cold loads the host page in a new profile, leaves it unclicked for the
// wait (counting the service's bytes and the page's long tasks), then
// clicks.
func (b *bench) cold(ctx context.Context, r *results) error {
	b.env.sent.Store(0)
	if err := b.open(ctx); err != nil {
		return err
	}
	select {
	case <-time.After(b.opts.wait):
	case <-ctx.Done():
		return ctx.Err()
	}
	r.bytesBefore = append(r.bytesBefore, float64(b.env.sent.Load())/1000)
	long, err := chromedp.Run(ctx, chromedp.Evaluate[[][2]float64](`window.__long.slice()`))
	if err != nil {
		return err
	}
	r.longBefore = append(r.longBefore, float64(len(long)))
	r.longBeforeMax = append(r.longBeforeMax, longest(long))
	c, err := b.clickNow(ctx)
	if err != nil {
		return err
	}
	r.addCold(c)
	return nil
}

// open navigates to the host page and waits for the launcher.
func (b *bench) open(ctx context.Context) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(b.env.hostURL)); err != nil {
		return err
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__launcher()`, chromedp.WithPollingTimeout(30*time.Second),
		chromedp.WithPollingInterval(5*time.Millisecond))); err != nil {
		return fmt.Errorf("wait for the launcher: %w", err)
	}
	return nil
}

// click opens the host page and clicks the launcher at once.
func (b *bench) click(ctx context.Context) (clickFigures, error) {
	if err := b.open(ctx); err != nil {
		return clickFigures{}, err
	}
	return b.clickNow(ctx)
}

// clickNow clicks the launcher and waits for the widget's
// chatWindowOpened (interactive) and the window's paint.
func (b *bench) clickNow(ctx context.Context) (clickFigures, error) {
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__click()`)); err != nil {
		return clickFigures{}, err
	}
	opened, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.__opened ? window.__opened - window.__t0 : 0`,
		chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(5*time.Millisecond)))
	if err != nil {
		return clickFigures{}, fmt.Errorf("wait for chatWindowOpened: %w", err)
	}
	c := clickFigures{interactive: opened, painted: -1}
	painted, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.__painted ? window.__painted - window.__t0 : 0`,
		chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(5*time.Millisecond)))
	if err == nil {
		c.painted = painted
	}
	long, err := chromedp.Run(ctx, chromedp.Evaluate[[][2]float64](
		`window.__long.filter(function (t) { return t[0] >= window.__t0 && t[0] < window.__opened; })`))
	if err != nil {
		return clickFigures{}, err
	}
	c.longBetween = long
	return c, nil
}

// resume opens the host page again, the conversation open from the
// clicks before, clicks the launcher as soon as it is drawn, and times
// navigation → the chat's history in the widget's window (a stored
// message rendered), read inside the widget's frame.
func (b *bench) resume(ctx context.Context, isolated bool, r *results) error {
	t0 := time.Now()
	if err := b.open(ctx); err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__click()`)); err != nil {
		return err
	}
	const history = `!!document.querySelector("#hc-messages .hc-msg[data-seq]")`
	poll := []chromedp.PollOption{chromedp.WithPollingTimeout(20 * time.Second), chromedp.WithPollingInterval(5 * time.Millisecond)}
	fctx := ctx
	if isolated {
		// The widget's frame is a target of its own.
		id, err := widgetTarget(ctx)
		if err != nil {
			return err
		}
		var cancel context.CancelFunc
		fctx, cancel = chromedp.NewContext(ctx, chromedp.WithTargetID(id))
		defer cancel()
	} else {
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.JSPath(`window.__frame()`)))
		if err != nil || len(nodes) == 0 {
			return fmt.Errorf("find the widget's frame: %v", err)
		}
		poll = append(poll, chromedp.WithPollingInFrame(nodes[0]))
	}
	if _, err := chromedp.Run(fctx, chromedp.Poll[bool](history, poll...)); err != nil {
		r.historyMissing++
		return nil
	}
	r.history = append(r.history, float64(time.Since(t0))/1e6)
	return nil
}

// widgetTarget waits for the widget frame's own target (site isolation).
func widgetTarget(ctx context.Context) (target.ID, error) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range infos {
			if t.Type == "iframe" && strings.Contains(t.URL, "/chat/widget/") {
				return t.TargetID, nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "", fmt.Errorf("no target for the widget's frame in 20 s")
}

// floor clicks the bare page's button, first view then second: the
// bare go-app app's click → running.
func (b *bench) floor(ctx context.Context, r *results) error {
	for i := 0; i < 2; i++ {
		if err := chromedp.Do(ctx, chromedp.Navigate(b.env.hostURL+"bare")); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__click()`)); err != nil {
			return err
		}
		d, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.__running ? window.__running - window.__t0 : 0`,
			chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(5*time.Millisecond)))
		if err != nil {
			return fmt.Errorf("wait for the bare app: %w", err)
		}
		if i == 0 {
			r.floorCold = append(r.floorCold, d)
		} else {
			r.floorWarm = append(r.floorWarm, d)
		}
	}
	return nil
}

// console loads the agent console's log-in page, first visit then second:
// navigation → the form usable (its wasm running).
func (b *bench) console(ctx context.Context, r *results) error {
	for i := 0; i < 2; i++ {
		t0 := time.Now()
		if err := chromedp.Do(ctx, chromedp.Navigate(b.env.serviceURL+"/console/login")); err != nil {
			return err
		}
		ready := `!document.getElementById("app-wasm-loader") && !!document.querySelector("input[type=email], input[type=password]")`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(30*time.Second),
			chromedp.WithPollingInterval(5*time.Millisecond))); err != nil {
			return fmt.Errorf("wait for the console: %w", err)
		}
		d := float64(time.Since(t0)) / 1e6
		if i == 0 {
			r.consoleCold = append(r.consoleCold, d)
		} else {
			r.consoleWarm = append(r.consoleWarm, d)
		}
	}
	return nil
}
