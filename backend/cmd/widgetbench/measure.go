package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	bytesBefore                  []float64   // KB the service sent before the click
	longBefore                   []float64   // long tasks before the click, a run
	longBeforeMax                []float64   // the longest, ms
	paintedCold, paintedWarm     []float64   // click → the window on screen: the loader's shell, or the frame's page
	pageCold, pageWarm           []float64   // click → the frame's first contentful paint (its page on screen)
	loadedCold, loadedWarm       []float64   // click → the frame's load event
	stepsCold                    [][]float64 // a run's stages (cold), ms after the click
	bootCold                     []float64   // click → the widget's halochat:boot on the host page (cold)
	sentCold                     []float64   // KB the service sent between the click and interactive (cold)
	interactiveCold              []float64
	interactiveWarm              []float64
	longBetween                  []float64 // long tasks between click and interactive (cold)
	longBetweenMax               []float64
	floorCold, floorWarm         []float64   // the bare app's click → running
	floorStepsCold               [][]float64 // the bare app's stages (cold, bareStages), ms after the click
	history                      []float64   // navigation → the resumed chat announced
	consoleCold, consoleWarm     []float64
	historyMissing, paintMissing int
	// pointer are the click figures of a real pointer: moved onto the
	// launcher (pointerenter: intent), then clicked at once.
	pointer *results
}

// link is an emulated network.
type link struct {
	name, mode  string // mode: its -modes name
	mbit, rttMs float64
}

var (
	fast4G = link{"Fast 4G (9 Mbit/s, 60 ms)", "fast4g", 9, 60}
	slow4G = link{"slow 4G (1.6 Mbit/s, 150 ms)", "slow4g", 1.6, 150}
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
	r := &results{pointer: &results{}}
	err := b.inBrowsers(ctx, isolated, func(bctx context.Context) error {
		// The floor first, in a profile of its own: cold as the widget's
		// cold is (a new profile, the same time on the page).
		if err := b.floorIn(ctx, isolated, r, b.opts.wait); err != nil {
			return err
		}
		if err := b.cold(bctx, isolated, r); err != nil {
			return fmt.Errorf("cold: %w", err)
		}
		c, err := b.click(bctx, isolated, false)
		if err != nil {
			return fmt.Errorf("warm: %w", err)
		}
		r.addWarm(c)
		if !b.opts.full() {
			return nil
		}
		if _, err := os.Stat("static/dist/console.wasm"); isolated && err == nil {
			if err := b.console(bctx, r); err != nil {
				return err
			}
		}
		if err := b.resume(bctx, isolated, r); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		return nil
	})
	if err != nil || !b.opts.full() {
		return r, err
	}
	// A real pointer, in a new profile each run: moved onto the launcher
	// after pointerWait on the page, then clicked at once; then the next
	// view the same way.
	err = b.inBrowsers(ctx, isolated, func(bctx context.Context) error {
		// These runs come minutes after the button.click() runs, and this
		// machine's speed drifts over minutes: a floor of their own, just
		// before, clicked after the same time on the page.
		if err := b.floorIn(ctx, isolated, r.pointer, pointerWait); err != nil {
			return err
		}
		if err := b.open(bctx); err != nil {
			return err
		}
		select {
		case <-time.After(pointerWait):
		case <-bctx.Done():
			return bctx.Err()
		}
		c, err := b.clickNow(bctx, isolated, true)
		if err != nil {
			return fmt.Errorf("pointer, cold: %w", err)
		}
		r.pointer.addCold(c)
		if c, err = b.click(bctx, isolated, true); err != nil {
			return fmt.Errorf("pointer, warm: %w", err)
		}
		r.pointer.addWarm(c)
		return nil
	})
	return r, err
}

// pointerWait is the time on the page before the pointer moves onto the
// launcher: the loader's availability request has been answered.
const pointerWait = 2 * time.Second

// measureLink takes the click figures over an emulated link, with the
// widget's frame in the page's process (CDP's emulation holds for one
// target); in each run the floor first, the bare app over the same link
// in a profile of its own, clicked as soon as its page is loaded as the
// widget's launcher is.
func (b *bench) measureLink(ctx context.Context, l link) (*results, error) {
	r := &results{}
	err := b.inBrowsers(ctx, false, func(bctx context.Context) error {
		fctx, done := b.browser(ctx, false)
		err := emulate(fctx, l)
		if err == nil {
			err = b.floor(fctx, false, r, 0)
		}
		done()
		if err != nil {
			return fmt.Errorf("bare app: %w", err)
		}
		if err := emulate(bctx, l); err != nil {
			return err
		}
		c, err := b.click(bctx, false, false)
		if err != nil {
			return fmt.Errorf("cold: %w", err)
		}
		r.addCold(c)
		if c, err = b.click(bctx, false, false); err != nil {
			return fmt.Errorf("warm: %w", err)
		}
		r.addWarm(c)
		return nil
	})
	return r, err
}

// emulate puts the page's target behind link l.
func emulate(ctx context.Context, l link) error {
	rate := l.mbit * 1e6 / 8
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Latency: l.rttMs, DownloadThroughput: rate, UploadThroughput: rate}},
	}); err != nil {
		return fmt.Errorf("emulate the network: %w", err)
	}
	return nil
}

// clickFigures are one click's measures.
type clickFigures struct {
	painted, loaded, interactive float64   // ms after the click; painted, loaded < 0: never
	page                         float64   // the frame's page painted, ms after the click; < 0: never
	boot                         float64   // the widget's halochat:boot on the host page, ms after the click; < 0: before it
	steps                        []float64 // the stages' times, ms after the click
	sentKB                       float64   // what the service sent between the click and interactive
	longBetween                  [][2]float64
}

func (r *results) addCold(c clickFigures) {
	r.add(&r.interactiveCold, &r.paintedCold, &r.loadedCold, c)
	if c.page >= 0 {
		r.pageCold = append(r.pageCold, c.page)
	}
	if len(c.steps) == len(stages) {
		r.stepsCold = append(r.stepsCold, c.steps)
	}
	if c.boot >= 0 {
		r.bootCold = append(r.bootCold, c.boot)
	}
	r.sentCold = append(r.sentCold, c.sentKB)
	r.longBetween = append(r.longBetween, float64(len(c.longBetween)))
	r.longBetweenMax = append(r.longBetweenMax, longest(c.longBetween))
}

func (r *results) addWarm(c clickFigures) {
	r.add(&r.interactiveWarm, &r.paintedWarm, &r.loadedWarm, c)
	if c.page >= 0 {
		r.pageWarm = append(r.pageWarm, c.page)
	}
}

func (r *results) add(interactive, painted, loaded *[]float64, c clickFigures) {
	*interactive = append(*interactive, c.interactive)
	if c.loaded >= 0 {
		*loaded = append(*loaded, c.loaded)
	}
	if c.page < 0 {
		r.paintMissing++ // the frame's page did not paint
	}
	if c.painted >= 0 {
		*painted = append(*painted, c.painted)
	}
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
func (b *bench) cold(ctx context.Context, isolated bool, r *results) error {
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
	c, err := b.clickNow(ctx, isolated, false)
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
func (b *bench) click(ctx context.Context, isolated, pointer bool) (clickFigures, error) {
	if err := b.open(ctx); err != nil {
		return clickFigures{}, err
	}
	return b.clickNow(ctx, isolated, pointer)
}

// clickNow clicks the launcher — with button.click() (no pointer before:
// the loader sees the intent and the click at once), or with the mouse
// moved onto it and pressed at once (pointerenter, then the click) — and
// waits for the widget's chatWindowOpened (interactive), the frame's
// load event and its first contentful paint. The click's time is its
// event's timeStamp on the host page.
func (b *bench) clickNow(ctx context.Context, isolated, pointer bool) (clickFigures, error) {
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__reset()`)); err != nil {
		return clickFigures{}, err
	}
	sent := b.env.sent.Load()
	if pointer {
		at, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.__launcherAt()`))
		if err != nil || len(at) != 2 {
			return clickFigures{}, fmt.Errorf("find the launcher: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, at[0], at[1])); err != nil {
			return clickFigures{}, fmt.Errorf("move the mouse: %w", err)
		}
		if b.opts.dwell > 0 {
			select {
			case <-time.After(b.opts.dwell):
			case <-ctx.Done():
				return clickFigures{}, ctx.Err()
			}
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(at[0], at[1])); err != nil {
			return clickFigures{}, fmt.Errorf("click the mouse: %w", err)
		}
	} else if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.__click()`)); err != nil {
		return clickFigures{}, err
	}
	opened, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.__opened && window.__t0 ? window.__opened - window.__t0 : 0`,
		chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(5*time.Millisecond)))
	if err != nil {
		return clickFigures{}, fmt.Errorf("wait for chatWindowOpened: %w", err)
	}
	c := clickFigures{interactive: opened, painted: -1, page: -1, loaded: -1, boot: -1, sentKB: float64(b.env.sent.Load()-sent) / 1000}
	if boot, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__boot ? window.__boot - window.__t0 : -1`)); err == nil {
		c.boot = boot
	}
	if loaded, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.__loaded()`,
		chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(5*time.Millisecond))); err == nil {
		c.loaded = loaded
	}
	if c.page, c.steps, err = b.painted(ctx, isolated); err != nil {
		return clickFigures{}, err
	}
	c.painted = c.page
	if shell, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__shell ? window.__shell - window.__t0 : -1`)); err == nil && shell >= 0 {
		c.painted = shell // the loader's shell: the window on screen before its page
	}
	long, err := chromedp.Run(ctx, chromedp.Evaluate[[][2]float64](
		`window.__long.filter(function (t) { return t[0] >= window.__t0 && t[0] < window.__opened; })`))
	if err != nil {
		return clickFigures{}, err
	}
	c.longBetween = long
	return c, nil
}

// frameTimes reads, inside the widget's frame, when its steps happened,
// in ms since the Unix epoch (the frame's timeOrigin plus each entry's
// time), so that the host page's clock can place them; 0 for a step that
// has not happened. The order is that of stages; [0] is the first
// contentful paint, and null until it has happened.
const frameTimes = `(function (marks) {
  var o = performance.timeOrigin, p = performance.getEntriesByName("first-contentful-paint")[0];
  if (!p) { return null; }
  var n = performance.getEntriesByType("navigation")[0] || {};
  var r = performance.getEntriesByType("resource"), css = 0;
  var w = r.filter(function (e) { return /\.wasm$/.test(e.name); })[0] || {};
  // The stylesheets the first paint waited for: those asked for before it
  // (the wasm's render links the colour's stylesheet again later).
  r.forEach(function (e) { if (/\.css(\?|$)/.test(e.name) && e.startTime < p.startTime) { css = Math.max(css, e.responseEnd); } });
  function at(t) { return t ? o + t : 0; }
  // The widget's own User Timing marks (app/widget's marks: the first of each name only).
  function mk(n) { var m = performance.getEntriesByName("halochat:" + n, "mark")[0]; return m ? at(m.startTime) : 0; }
  return [at(p.startTime), o, at(n.responseStart), at(n.responseEnd), at(css), at(w.startTime), at(w.responseEnd),
    at(n.domContentLoadedEventEnd), at(n.loadEventEnd)].concat(marks.map(mk));
})(["render 1", "mount", "ready", "opened", "render 2", "received halochat:hello", "handling halochat:hello",
  "received halochat:launcher", "handling halochat:launcher"])`

// stages name frameTimes' values after the paint, and the interactive
// figure: where the time between the click and chatWindowOpened goes.
var stages = []string{
	"the frame's navigation starts (the iframe created)",
	"its HTML's first byte",
	"its HTML's last byte",
	"its stylesheets' last byte",
	"the wasm's request starts",
	"the wasm's last byte",
	"DOMContentLoaded done (deferred scripts run: go-app's app.js)",
	"the frame's load event done",
	"the widget's first render (go-app builds the window in place of the static one)",
	"the widget mounts",
	"the widget has taken the config and said it is ready (halochat:ready)",
	"the widget opens its window (chatWindowOpened posted to the host page)",
	"the widget's second render (its state after the config)",
	"the loader's hello reaches the widget (after ready: the frame's URL carried it)",
	"the widget handles the hello",
	"the launcher's open reaches the widget (after the open: the frame's URL carried it)",
	"the widget handles the launcher's open",
}

// painted is click → the widget's page on screen: the later of the widget
// frame's first contentful paint (read inside the frame, after the click
// figures are in, so that reading it perturbs nothing measured) and the
// host's first frame after the click (a frame that painted before the
// click, hidden, shows no sooner); -1 when the frame did not paint
// within 5 s. steps are frameTimes' other steps, in ms after the click
// (-1: did not happen).
func (b *bench) painted(ctx context.Context, isolated bool) (painted float64, steps []float64, err error) {
	fctx, poll, done, err := widgetFrame(ctx, isolated)
	if err != nil {
		return 0, nil, err
	}
	defer done()
	poll = append(poll, chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(5*time.Millisecond))
	times, err := chromedp.Run(fctx, chromedp.Poll[[]float64](frameTimes, poll...))
	if err != nil || len(times) != len(stages)+1 {
		return -1, nil, nil
	}
	host, err := chromedp.Run(ctx, chromedp.Poll[[]float64](
		`window.__hostFrame ? [performance.timeOrigin + window.__t0, performance.timeOrigin + window.__hostFrame] : null`,
		chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(5*time.Millisecond)))
	if err != nil || len(host) != 2 {
		return 0, nil, fmt.Errorf("read the click's time: %v", err)
	}
	for _, t := range times[1:] {
		if t == 0 {
			steps = append(steps, -1)
			continue
		}
		steps = append(steps, t-host[0])
	}
	return max(times[0], host[1]) - host[0], steps, nil
}

// widgetFrame is where code runs in the widget's frame: with site
// isolation, a context attached to the frame's own target (detached, not
// closed, by done); without, the page's context polling in the frame.
func widgetFrame(ctx context.Context, isolated bool) (context.Context, []chromedp.PollOption, func(), error) {
	return frameOf(ctx, isolated, `window.__frame()`, "/chat/widget/")
}

// frameOf is where code runs in the frame that the host page's
// expression find returns, whose page is under path.
func frameOf(ctx context.Context, isolated bool, find, path string) (context.Context, []chromedp.PollOption, func(), error) {
	if isolated {
		id, err := frameTarget(ctx, path)
		if err != nil {
			return nil, nil, nil, err
		}
		fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
		return fctx, nil, cancel, nil
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.JSPath(find)))
	if err != nil || len(nodes) == 0 {
		return nil, nil, nil, fmt.Errorf("find the frame of %s: %v", path, err)
	}
	// Until the frame's page has an execution context, a poll "in the
	// frame" runs in the host page (chromedp finds no context for the
	// frame) and waits there for nothing: wait for the page first, each
	// short poll looking for the frame's context again.
	inFrame := chromedp.WithPollingInFrame(nodes[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`location.pathname.indexOf(`+strconv.Quote(path)+`) === 0`, inFrame,
			chromedp.WithPollingTimeout(250*time.Millisecond), chromedp.WithPollingInterval(5*time.Millisecond)))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, nil, nil, fmt.Errorf("the frame has no page under %s after 20 s: %v", path, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ctx, []chromedp.PollOption{inFrame}, func() {}, nil
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
	fctx, poll, done, err := widgetFrame(ctx, isolated)
	if err != nil {
		return err
	}
	defer done()
	poll = append(poll, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(5*time.Millisecond))
	if _, err := chromedp.Run(fctx, chromedp.Poll[bool](history, poll...)); err != nil {
		r.historyMissing++
		return nil
	}
	r.history = append(r.history, float64(time.Since(t0))/1e6)
	return nil
}

// frameTarget waits for the own target (site isolation) of the frame
// whose page is under path.
func frameTarget(ctx context.Context, path string) (target.ID, error) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range infos {
			if t.Type == "iframe" && strings.Contains(t.URL, path) {
				return t.TargetID, nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "", fmt.Errorf("no target for the frame of %s in 20 s", path)
}

// floorIn measures the floor in a new browser profile of its own.
func (b *bench) floorIn(ctx context.Context, isolated bool, r *results, wait time.Duration) error {
	fctx, done := b.browser(ctx, isolated)
	defer done()
	if err := b.floor(fctx, isolated, r, wait); err != nil {
		return fmt.Errorf("bare app: %w", err)
	}
	return nil
}

// floor clicks the bare page's button, first view then second: the
// bare go-app app's click → running. It wants a new profile: the first
// view is cold as the widget's is, clicked after the same time on the
// page (wait). Measured in the widget's profile after its clicks, with
// the service's connection and processes warm, the floor was about 10%
// lower (2026-12-05: 265 / 292 ms against 296 / 320 in new profiles,
// isolation on / off).
func (b *bench) floor(ctx context.Context, isolated bool, r *results, wait time.Duration) error {
	for i := 0; i < 2; i++ {
		if err := chromedp.Do(ctx, chromedp.Navigate(b.env.hostURL+"bare")); err != nil {
			return err
		}
		if i == 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
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
			steps, err := bareSteps(ctx, isolated)
			if err != nil {
				return err
			}
			r.floorStepsCold = append(r.floorStepsCold, steps)
		} else {
			r.floorWarm = append(r.floorWarm, d)
		}
	}
	return nil
}

// bareStages name bareSteps' values: where the bare app's cold click
// goes (the floor itself after them), beside the widget's stages.
var bareStages = []string{
	"the bare app (the floor, its own runs): its HTML's last byte",
	"the bare app: its wasm's request starts",
	"the bare app: its wasm's last byte",
}

// bareFrameTimes reads, inside the bare app's frame, when its HTML and its
// wasm arrived, in ms since the Unix epoch (as frameTimes); null until the
// wasm's entry is complete.
const bareFrameTimes = `(function () {
  var o = performance.timeOrigin, n = performance.getEntriesByType("navigation")[0];
  var w = performance.getEntriesByType("resource").filter(function (e) { return /\.wasm$/.test(e.name); })[0];
  if (!n || !n.responseEnd || !w || !w.responseEnd) { return null; }
  return [o + n.responseEnd, o + w.startTime, o + w.responseEnd];
})()`

// bareSteps are the bare app's stages of the click just measured, in ms
// after it (read once it runs, so that reading perturbs nothing measured).
func bareSteps(ctx context.Context, isolated bool) ([]float64, error) {
	fctx, poll, done, err := frameOf(ctx, isolated, `document.querySelector("iframe")`, "/bare/")
	if err != nil {
		return nil, err
	}
	defer done()
	poll = append(poll, chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(5*time.Millisecond))
	times, err := chromedp.Run(fctx, chromedp.Poll[[]float64](bareFrameTimes, poll...))
	if err != nil || len(times) != len(bareStages) {
		return nil, fmt.Errorf("read the bare app's frame: %v", err)
	}
	t0, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.timeOrigin + window.__t0`))
	if err != nil {
		return nil, fmt.Errorf("read the bare click's time: %w", err)
	}
	for i := range times {
		times[i] -= t0
	}
	return times, nil
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
