package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
)

// stat is a median and a maximum; ok is false with no value.
type stat struct {
	med, max float64
	ok       bool
}

func summarize(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return stat{med: s[(len(s)-1)/2], max: s[len(s)-1], ok: true}
}

func (s stat) ms() string {
	if !s.ok {
		return "no value"
	}
	return fmt.Sprintf("%.0f / %.0f ms", s.med, s.max)
}

// verdict is "met" when every check holds, naming the first that fails.
func verdict(checks ...check) string {
	for _, c := range checks {
		if !c.ok {
			return "**not met**: " + c.why
		}
	}
	return "met"
}

type check struct {
	ok  bool
	why string
}

// within checks a median against an absolute bound and, when floor is
// set, against 1.2× the floor's median.
func within(s stat, bound float64, floor stat) []check {
	checks := []check{{s.ok && s.med <= bound, fmt.Sprintf("median above %.0f ms", bound)}}
	if floor.ok {
		checks = append(checks, check{s.ok && s.med <= 1.2*floor.med, fmt.Sprintf("median above 1.2 × the bare app's %.0f ms", floor.med)})
	}
	return checks
}

func cpuName() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func report(w io.Writer, o options, res map[bool]*results, links []link, throttled []*results) {
	on, off := res[true], res[false]
	fmt.Fprintf(w, "## Widget in a browser (backend/cmd/widgetbench, %d runs each)\n\n", o.runs)
	fmt.Fprintf(w, "Headless chromium on loopback, %s, %d cores: the host page on http://localhost, the service on http://127.0.0.1\n", cpuName(), runtime.NumCPU())
	fmt.Fprintf(w, "(two sites). Site isolation on: the widget's iframe in a process of its own (desktop chromium); off\n")
	fmt.Fprintf(w, "(--disable-site-isolation-trials): in the host page's process, as on most Android phones. A new browser profile a run.\n")
	fmt.Fprintf(w, "Cold: the first view of the host page, left unclicked for %s, then the launcher clicked; warm: the next view,\n", o.wait)
	fmt.Fprintf(w, "clicked at once. Painted: the widget frame's page loaded (its HTML, stylesheets and scripts: the window it\n")
	fmt.Fprintf(w, "prerenders is there by then at the latest), then the host's next animation frame. Interactive: the widget's\n")
	fmt.Fprintf(w, "chatWindowOpened event on the host page. The floor: a bare go-app app (testdata/bareapp, built as the widget)\n")
	fmt.Fprintf(w, "framed from the same service at a click, click → its first mount, in the same run. Median / max of the runs;\n")
	fmt.Fprintf(w, "verdicts on the median (bytes and long tasks: on every run).\n\n")
	fmt.Fprintln(w, "| measure | isolation on: median / max | isolation off: median / max | target | verdict (on; off) |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	kb := func(r *results) stat { return summarize(r.bytesBefore) }
	row := func(name, a, b, target, va, vb string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s; %s |\n", name, a, b, target, va, vb)
	}
	kbText := func(s stat) string { return fmt.Sprintf("%.1f / %.1f KB", s.med, s.max) }
	kbVerdict := func(s stat) string { return verdict(check{s.max <= 20, "above 20 KB"}) }
	row(fmt.Sprintf("bytes the service sends before any click (%s on the page)", o.wait), kbText(kb(on)), kbText(kb(off)),
		"≤ 20 KB", kbVerdict(kb(on)), kbVerdict(kb(off)))
	longText := func(n, m []float64) string {
		return fmt.Sprintf("%.0f / %.0f (longest %.0f ms)", summarize(n).med, summarize(n).max, summarize(m).max)
	}
	longVerdict := func(n []float64) string { return verdict(check{summarize(n).max == 0, "long tasks"}) }
	row("host long tasks before the click", longText(on.longBefore, on.longBeforeMax), longText(off.longBefore, off.longBeforeMax),
		"none", longVerdict(on.longBefore), longVerdict(off.longBefore))
	pc := func(r *results) stat { return summarize(r.paintedCold) }
	row("click → painted, cold", pc(on).ms(), pc(off).ms(), "≤ 100 ms",
		verdict(within(pc(on), 100, stat{})...), verdict(within(pc(off), 100, stat{})...))
	row("click → painted, warm", summarize(on.paintedWarm).ms(), summarize(off.paintedWarm).ms(), "reported", "–", "–")
	if on.paintMissing+off.paintMissing > 0 {
		fmt.Fprintf(w, "| clicks whose frame did not load within 5 s of interactive | %d | %d | none | – |\n", on.paintMissing, off.paintMissing)
	}
	for _, k := range []struct {
		name, floorName string
		v, floor        func(*results) []float64
		bound           float64
		target          string
	}{
		{"click → interactive, cold", "the floor: bare go-app app, click → running, cold", func(r *results) []float64 { return r.interactiveCold },
			func(r *results) []float64 { return r.floorCold }, 800, "≤ 800 ms and ≤ 1.2 × the floor"},
		{"click → interactive, warm", "the floor: bare go-app app, click → running, warm", func(r *results) []float64 { return r.interactiveWarm },
			func(r *results) []float64 { return r.floorWarm }, 250, "≤ 250 ms and ≤ 1.2 × the floor"},
	} {
		fOn, fOff := summarize(k.floor(on)), summarize(k.floor(off))
		row(k.name, summarize(k.v(on)).ms(), summarize(k.v(off)).ms(), k.target,
			verdict(within(summarize(k.v(on)), k.bound, fOn)...), verdict(within(summarize(k.v(off)), k.bound, fOff)...))
		row(k.floorName, fOn.ms(), fOff.ms(), "the floor", "–", "–")
	}
	row("host long tasks between the click and interactive (cold)", longText(on.longBetween, on.longBetweenMax),
		longText(off.longBetween, off.longBetweenMax), "reported", "–", "–")
	hist := func(r *results) string {
		s := summarize(r.history).ms()
		if r.historyMissing > 0 {
			s += fmt.Sprintf(" (%d runs: no history in 20 s)", r.historyMissing)
		}
		return s
	}
	row("next page view with the conversation open, the launcher clicked when drawn: navigation → the chat's history in the window",
		hist(on), hist(off), "reported", "–", "–")
	linksReport(w, links, throttled)
	fmt.Fprintf(w, "\nAgent console (its own wasm, %s): navigation to /console/login → the log-in form usable (the wasm running),\n", consoleSize())
	fmt.Fprintf(w, "site isolation on.\n\n")
	fmt.Fprintln(w, "| measure | median / max |")
	fmt.Fprintln(w, "| --- | --- |")
	fmt.Fprintf(w, "| console load, first visit | %s |\n", summarize(on.consoleCold).ms())
	fmt.Fprintf(w, "| console load, second visit | %s |\n", summarize(on.consoleWarm).ms())
}

func linksReport(w io.Writer, links []link, throttled []*results) {
	fmt.Fprintf(w, "\nOver chromium's network emulation (Network.emulateNetworkConditionsByRule: the link's throughput both ways\n")
	fmt.Fprintf(w, "and its round trip as the minimum latency), site isolation off: the emulation holds for the page's own target,\n")
	fmt.Fprintf(w, "and an iframe in a process of its own would escape it. Cold: a new profile, clicked at once; warm: the next view.\n\n")
	fmt.Fprintln(w, "| link | click → painted, cold | click → interactive, cold | click → painted, warm | click → interactive, warm | target | verdict |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	for i, l := range links {
		r := throttled[i]
		pc, ic := summarize(r.paintedCold), summarize(r.interactiveCold)
		target, v := "reported", "–"
		if l == fast4G {
			target = "painted ≤ 300 ms, interactive ≤ 2.5 s (cold)"
			v = verdict(append(within(pc, 300, stat{}), within(ic, 2500, stat{})...)...)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", l.name, pc.ms(), ic.ms(),
			summarize(r.paintedWarm).ms(), summarize(r.interactiveWarm).ms(), target, v)
	}
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
