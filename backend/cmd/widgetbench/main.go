// Command widgetbench measures what the widget costs a host page, in
// headless chromium on loopback, with chromium's site isolation on (the
// widget's iframe in a process of its own, as on desktop) and off
// (--disable-site-isolation-trials: the iframe in the host page's
// process, as on most Android phones):
//
//   - the bytes the chat service sends while the page sits unclicked
//     (-wait, 10 s) and the host page's long tasks in that time;
//   - click → the window painted (the widget frame's first contentful
//     paint, read inside the frame), click → interactive (the widget's
//     chatWindowOpened), cold (a new browser profile) and warm (the next
//     view: HTTP cache, service worker), and the host's long tasks between
//     the click and interactive; clicked with button.click() and, in
//     profiles of their own, with the mouse moved onto the launcher and
//     pressed at once (or -dwell later); and where a cold click's time
//     goes (the frame's navigation and resource timing);
//   - in the same run, a bare go-app app's click → running in an iframe
//     from the same service (testdata/bareapp), in a new profile of its
//     own, cold as the widget's cold click is: the floor no go-app widget
//     can beat, measured again before each run of the mouse, and each
//     run judged against the floor measured just before it;
//   - the click figures under chromium's network emulation of a Fast 4G
//     and a slow 4G link;
//   - a later page view with the conversation open: navigation → the
//     resumed chat's history announced to the page;
//   - the agent console's load, first visit and second.
//
// It prints a Markdown section for docs/BENCHMARKS.md with a verdict on
// each target.
//
//	go run ./backend/cmd/widgetbench -runs 7 [-bare bare.wasm] [-dwell 150ms]
//
// -modes picks some of the modes (e.g. -modes on,fast4g) for a quicker
// before/after comparison: the button.click() figures, the floor and the
// cold click's stages only, as a short summary.
//
// It needs the built widget (make build), chromium, and brotli for the
// bare app when -bare names no .br beside it; it sends traffic only to
// loopback and stops by itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 7, "measurements of each kind, in each mode")
	flag.StringVar(&o.chromium, "chromium", "", "chromium binary (default: chromium on PATH)")
	flag.StringVar(&o.bare, "bare", "", "the bare go-app app's wasm (default: build testdata/bareapp)")
	flag.DurationVar(&o.wait, "wait", 10*time.Second, "time on the page before the click")
	flag.DurationVar(&o.dwell, "dwell", 0, "the mouse's time on the launcher before its click (0: at once)")
	flag.StringVar(&o.modes, "modes", allModes, "what to measure, comma-separated: on and off (site isolation), fast4g, slow4g; "+
		"fewer than all takes only the button.click() figures and the floor (no pointer, console or resume runs) "+
		"and prints a short summary rather than the BENCHMARKS.md section")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "widgetbench:", err)
		os.Exit(1)
	}
}

type options struct {
	runs           int
	chromium, bare string
	wait, dwell    time.Duration
	modes          string
	bareBr         int64 // the bare app's wasm, brotli, bytes (0: not compressed)
}

// allModes are widgetbench's modes: site isolation on and off, and the
// two emulated links.
const allModes = "on,off,fast4g,slow4g"

// selected reports whether the -modes list names mode, and whether it
// names every mode (the full report).
func (o options) selected(mode string) bool {
	for _, m := range strings.Split(o.modes, ",") {
		if strings.TrimSpace(m) == mode {
			return true
		}
	}
	return false
}

func (o options) full() bool {
	for _, m := range strings.Split(allModes, ",") {
		if !o.selected(m) {
			return false
		}
	}
	return true
}

func (o options) check() error {
	if o.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	for _, m := range strings.Split(o.modes, ",") {
		if !strings.Contains(","+allModes+",", ","+strings.TrimSpace(m)+",") {
			return fmt.Errorf("-modes: %q is none of %s", m, allModes)
		}
	}
	return nil
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := o.check(); err != nil {
		return err
	}
	if o.chromium == "" {
		p, err := exec.LookPath("chromium")
		if err != nil {
			return fmt.Errorf("no chromium on PATH (apt-get install -y chromium): %w", err)
		}
		o.chromium = p
	}
	dir, err := os.MkdirTemp("", "widgetbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bare, err := bareApp(ctx, dir, o.bare)
	if err != nil {
		return fmt.Errorf("the bare go-app app: %w", err)
	}
	o.bareBr = fileBytes(filepath.Join(bare, "bare.wasm.br"))
	env, err := startServers(ctx, dir, bare)
	if err != nil {
		return err
	}
	b := &bench{opts: o, env: env, dir: dir}
	res := map[bool]*results{}
	for _, isolated := range []bool{true, false} {
		if !o.selected(onOff(isolated)) {
			continue
		}
		r, err := b.measureMode(ctx, isolated)
		if err != nil {
			return fmt.Errorf("site isolation %s: %w", onOff(isolated), err)
		}
		res[isolated] = r
	}
	// CDP's network emulation holds for the page's own target: with the
	// iframe in another process it would leave the widget unthrottled.
	var links []link
	var throttled []*results
	for _, l := range []link{fast4G, slow4G} {
		if !o.selected(l.mode) {
			continue
		}
		r, err := b.measureLink(ctx, l)
		if err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
		links, throttled = append(links, l), append(throttled, r)
	}
	if !o.full() {
		summary(os.Stdout, o, res, links, throttled)
		return nil
	}
	report(os.Stdout, o, res, links, throttled)
	return nil
}

// bareApp returns a folder holding bare.wasm and, where brotli is
// installed, bare.wasm.br: the given build, or testdata/bareapp built now.
func bareApp(ctx context.Context, dir, given string) (string, error) {
	out := filepath.Join(dir, "bare")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	wasm := filepath.Join(out, "bare.wasm")
	if given == "" {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, "./testdata/bareapp")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build ./testdata/bareapp: %w: %s", err, b)
		}
	} else {
		b, err := os.ReadFile(given)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(wasm, b, 0o644); err != nil {
			return "", err
		}
	}
	if b, err := os.ReadFile(given + ".br"); given != "" && err == nil {
		return out, os.WriteFile(wasm+".br", b, 0o644)
	}
	if _, err := exec.LookPath("brotli"); err == nil {
		if b, err := exec.CommandContext(ctx, "brotli", "-f", "-q", "11", "-o", wasm+".br", wasm).CombinedOutput(); err != nil {
			return "", fmt.Errorf("brotli: %w: %s", err, b)
		}
	}
	return out, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
