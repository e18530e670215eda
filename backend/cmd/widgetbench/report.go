package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
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

// within checks a median against an absolute bound and, when the ratios
// to the floor are given, their median against 1.2.
func within(s stat, bound float64, ratio stat) []check {
	checks := []check{{s.ok && s.med <= bound, fmt.Sprintf("median above %.0f ms", bound)}}
	if ratio.ok {
		checks = append(checks, check{s.ok && ratio.med <= 1.2, fmt.Sprintf("median %.2f × the bare app's, above 1.2", ratio.med)})
	}
	return checks
}

// ratios are each run's figure over the floor measured just before it in
// the same run: paired, the minutes' drift of this machine's speed, which
// moves both alike, cancels (a ratio of the two medians compares runs
// minutes apart).
func ratios(v, floor []float64) stat {
	if len(v) != len(floor) {
		return stat{}
	}
	r := make([]float64, len(v))
	for i := range v {
		r[i] = v[i] / floor[i]
	}
	return summarize(r)
}

func (s stat) times() string {
	if !s.ok {
		return "no value"
	}
	return fmt.Sprintf("%.2f / %.2f ×", s.med, s.max)
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
	fmt.Fprintf(w, "clicked at once (the cold click started a conversation, so the loader boots the widget as this view loads).\n")
	fmt.Fprintf(w, "Clicked: with button.click() (no pointer before it: the loader sees the intent at the click), or\n")
	fmt.Fprintf(w, "with the mouse (CDP): moved onto the launcher (pointerenter, the loader's intent) and pressed %s, %s after\n", dwellText(o.dwell), pointerWait)
	fmt.Fprintf(w, "the page loaded. The click's time is the click event's timeStamp on the host page. Painted: the window on screen —\n")
	fmt.Fprintf(w, "the host's first frame after the click when the loader drew its shell of the window in it (the box, its header in\n")
	fmt.Fprintf(w, "the colour with the title, beneath the frame until the widget's page paints over it; since 2026-12-06), else the\n")
	fmt.Fprintf(w, "page's paint. Page painted: the widget frame's first-contentful-paint entry, read inside the frame (its own target\n")
	fmt.Fprintf(w, "with isolation on) and put on the host's clock through both documents' performance.timeOrigin; the host's first frame\n")
	fmt.Fprintf(w, "after the click when that is later (a frame rendered unseen before the click, transparent, reports its first\n")
	fmt.Fprintf(w, "contentful paint only once shown): \"painted\" until 2026-12-06. Frame\n")
	fmt.Fprintf(w, "loaded: the frame's load event (its HTML, stylesheets and deferred scripts), an upper bound of the paint that this\n")
	fmt.Fprintf(w, "table called \"painted\" until 2026-12. Interactive: the widget's chatWindowOpened event on the host page. The floor:\n")
	fmt.Fprintf(w, "a bare go-app app (testdata/bareapp, built as the widget) framed from the same service at a click, click → its\n")
	fmt.Fprintf(w, "first mount, in the same run, in a new profile of its own clicked after the same time on the page as the widget's cold\n")
	fmt.Fprintf(w, "click (measured until 2026-12-06 in the widget's profile after its clicks, its connection and processes warm: about 10%% lower).\n")
	fmt.Fprintf(w, "Each run of the mouse has a floor of its own, measured just before it (until 2026-12-06 it was judged against\n")
	fmt.Fprintf(w, "the button.click() runs' floor, minutes earlier). The ratio to the floor is each run's over its own floor's, paired;\n")
	fmt.Fprintf(w, "until 2026-12-06 the ratio of the medians, which this machine's drift from one minute to the next moved by a fifth.\n")
	fmt.Fprintf(w, "Median / max of the runs (of an even count, the lower middle one); verdicts on the\n")
	fmt.Fprintf(w, "median (bytes and long tasks: on every run).\n\n")
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
	row("click → painted, cold (button.click())", pc(on).ms(), pc(off).ms(), "≤ 100 ms",
		verdict(within(pc(on), 100, stat{})...), verdict(within(pc(off), 100, stat{})...))
	row("click → painted, warm (button.click())", summarize(on.paintedWarm).ms(), summarize(off.paintedWarm).ms(), "reported", "–", "–")
	ppc := func(r *results) stat { return summarize(r.pointer.paintedCold) }
	row("click → painted, cold (mouse moved onto the launcher, pressed "+dwellText(o.dwell)+")", ppc(on).ms(), ppc(off).ms(), "≤ 100 ms",
		verdict(within(ppc(on), 100, stat{})...), verdict(within(ppc(off), 100, stat{})...))
	row("click → painted, warm (mouse)", summarize(on.pointer.paintedWarm).ms(), summarize(off.pointer.paintedWarm).ms(), "reported", "–", "–")
	row("click → the widget's page painted over the shell, cold (button.click(); its first contentful paint)",
		summarize(on.pageCold).ms(), summarize(off.pageCold).ms(), "reported", "–", "–")
	row("click → the widget's page painted, cold (mouse)", summarize(on.pointer.pageCold).ms(), summarize(off.pointer.pageCold).ms(), "reported", "–", "–")
	row("click → the frame's load event, cold (button.click(); the old \"painted\", an upper bound)",
		summarize(on.loadedCold).ms(), summarize(off.loadedCold).ms(), "reported", "–", "–")
	if missing := on.paintMissing + off.paintMissing + on.pointer.paintMissing + off.pointer.paintMissing; missing > 0 {
		fmt.Fprintf(w, "| clicks whose frame had no first contentful paint within 5 s of interactive | %d | %d | none | – |\n",
			on.paintMissing+on.pointer.paintMissing, off.paintMissing+off.pointer.paintMissing)
	}
	for _, k := range []struct {
		name, floorName string
		v, floor        func(*results) []float64
		bound           float64
		target          string
	}{
		{"click → interactive, cold (button.click())", "the floor: bare go-app app, click → running, cold", func(r *results) []float64 { return r.interactiveCold },
			func(r *results) []float64 { return r.floorCold }, 800, "≤ 800 ms and ≤ 1.2 × the floor"},
		{"click → interactive, warm (button.click())", "the floor: bare go-app app, click → running, warm", func(r *results) []float64 { return r.interactiveWarm },
			func(r *results) []float64 { return r.floorWarm }, 250, "≤ 250 ms and ≤ 1.2 × the floor"},
		{"click → interactive, cold (mouse)", "the floor of the mouse runs, cold", func(r *results) []float64 { return r.pointer.interactiveCold },
			func(r *results) []float64 { return r.pointer.floorCold }, 800, "≤ 800 ms and ≤ 1.2 × the floor"},
		{"click → interactive, warm (mouse)", "the floor of the mouse runs, warm", func(r *results) []float64 { return r.pointer.interactiveWarm },
			func(r *results) []float64 { return r.pointer.floorWarm }, 250, "≤ 250 ms and ≤ 1.2 × the floor"},
	} {
		rOn, rOff := ratios(k.v(on), k.floor(on)), ratios(k.v(off), k.floor(off))
		row(k.name, summarize(k.v(on)).ms(), summarize(k.v(off)).ms(), k.target,
			verdict(within(summarize(k.v(on)), k.bound, rOn)...), verdict(within(summarize(k.v(off)), k.bound, rOff)...))
		row(k.floorName, summarize(k.floor(on)).ms(), summarize(k.floor(off)).ms(), "the floor", "–", "–")
		row("… the widget over the floor, run by run", rOn.times(), rOff.times(), "median ≤ 1.2 ×", "–", "–")
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
	linksReport(w, o, links, throttled)
	names, all := []string{"isolation on", "isolation off"}, []*results{on, off}
	for i, l := range links {
		names, all = append(names, l.name), append(all, throttled[i])
	}
	stagesReport(w, names, all)
	fmt.Fprintf(w, "\nAgent console (its own wasm, %s): navigation to /console/login → the log-in form usable (the wasm running),\n", consoleSize())
	fmt.Fprintf(w, "site isolation on.\n\n")
	fmt.Fprintln(w, "| measure | median / max |")
	fmt.Fprintln(w, "| --- | --- |")
	fmt.Fprintf(w, "| console load, first visit | %s |\n", summarize(on.consoleCold).ms())
	fmt.Fprintf(w, "| console load, second visit | %s |\n", summarize(on.consoleWarm).ms())
}

func linksReport(w io.Writer, o options, links []link, throttled []*results) {
	fmt.Fprintf(w, "\nOver chromium's network emulation (Network.emulateNetworkConditionsByRule: the link's throughput both ways\n")
	fmt.Fprintf(w, "and its round trip as the minimum latency), site isolation off: the emulation holds for the page's own target,\n")
	fmt.Fprintf(w, "and an iframe in a process of its own would escape it. Cold: a new profile, clicked at once (button.click()); warm:\n")
	fmt.Fprintf(w, "the next view. Painted and page painted as above. The wasm crosses the link as %s brotli. The floor: the bare\n",
		distSize("static/dist/widget.wasm.br"))
	fmt.Fprintf(w, "go-app app's click → running over the same link, cold, in a profile of its own just before each run's widget.\n\n")
	fmt.Fprintln(w, "| link | click → painted, cold | click → page painted, cold | click → interactive, cold | the floor, cold | … the widget over it, run by run | click → painted, warm | click → interactive, warm | target | verdict |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for i, l := range links {
		r := throttled[i]
		pc, ic := summarize(r.paintedCold), summarize(r.interactiveCold)
		target, v := "reported", "–"
		if l == fast4G {
			target = "painted ≤ 300 ms, interactive ≤ 2.5 s (cold)"
			v = verdict(append(within(pc, 300, stat{}), within(ic, 2500, stat{})...)...)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", l.name, pc.ms(), summarize(r.pageCold).ms(), ic.ms(),
			summarize(r.floorCold).ms(), ratios(r.interactiveCold, r.floorCold).times(),
			summarize(r.paintedWarm).ms(), summarize(r.interactiveWarm).ms(), target, v)
	}
	carriedReport(w, o, links, throttled)
}

// carriedReport shows the throughput the emulated links gave the wasm.
func carriedReport(w io.Writer, o options, links []link, throttled []*results) {
	if len(links) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWhat the emulated links carried: each cold run's wasm, its size over the time from its request's start to its\n")
	fmt.Fprintf(w, "last byte (median / lowest of the runs).\n\n")
	fmt.Fprintln(w, "| link | the widget's wasm | the bare app's wasm |")
	fmt.Fprintln(w, "| --- | --- | --- |")
	widgetBytes, bareBytes := fileBytes("static/dist/widget.wasm.br"), o.bareBr
	for i, l := range links {
		r := throttled[i]
		fmt.Fprintf(w, "| %s | %s | %s |\n", l.name,
			carried(widgetBytes, r.stepsCold, stageIndex(stages, "the wasm's request starts"), stageIndex(stages, "the wasm's last byte")),
			carried(bareBytes, r.floorStepsCold, stageIndex(bareStages, "the bare app: its wasm's request starts"),
				stageIndex(bareStages, "the bare app: its wasm's last byte")))
	}
}

// carried is the throughput of a transfer of size bytes, each run's from
// its steps' start to end: "median / lowest Mbit/s".
func carried(size int64, runs [][]float64, start, end int) string {
	var rates []float64
	for _, run := range runs {
		if size > 0 && end < len(run) && run[start] >= 0 && run[end] > run[start] {
			rates = append(rates, float64(size)*8/1e3/(run[end]-run[start]))
		}
	}
	st := summarize(rates)
	if !st.ok {
		return "no value"
	}
	return fmt.Sprintf("%.1f / %.1f Mbit/s", st.med, slices.Min(rates))
}

// stageIndex is the index of the named stage in list.
func stageIndex(list []string, name string) int {
	i := slices.Index(list, name)
	if i < 0 {
		panic("widgetbench: no stage " + name)
	}
	return i
}

// fileBytes is a file's size, 0 when it is missing.
func fileBytes(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// consoleSize describes the console wasm's sizes on disk.
func consoleSize() string {
	return fmt.Sprintf("%s raw, %s gzip, %s brotli", distSize("static/dist/console.wasm"), distSize("static/dist/console.wasm.gz"),
		distSize("static/dist/console.wasm.br"))
}

// distSize is a built file's size in MB ("n/a" when it is missing).
func distSize(p string) string {
	n := fileBytes(p)
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f MB", float64(n)/1e6)
}

// stagesReport shows where the time of a cold click goes: each stage's
// median over the runs, in ms after the click, beside the paint and
// chatWindowOpened.
func stagesReport(w io.Writer, names []string, of []*results) {
	fmt.Fprintf(w, "\nWhere a cold click's time goes (button.click(); ms after the click, median of the runs; read in the widget's\n")
	fmt.Fprintf(w, "frame from its navigation and resource timing entries, put on the host's clock as the paint is):\n\n")
	fmt.Fprintf(w, "| step | %s |\n", strings.Join(names, " | "))
	fmt.Fprintf(w, "| --- |%s\n", strings.Repeat(" --- |", len(names)))
	cells := func(f func(r *results) []float64) string {
		out := make([]string, 0, len(of))
		for _, r := range of {
			s := summarize(f(r))
			if !s.ok {
				out = append(out, "–")
				continue
			}
			out = append(out, fmt.Sprintf("%.0f", s.med))
		}
		return strings.Join(out, " | ")
	}
	for i, name := range stages {
		fmt.Fprintf(w, "| %s | %s |\n", name, cells(func(r *results) []float64 { return column(r.stepsCold, i) }))
	}
	fmt.Fprintf(w, "| the window on screen (the loader's shell, else the page) | %s |\n", cells(func(r *results) []float64 { return r.paintedCold }))
	fmt.Fprintf(w, "| the widget's page painted (first contentful paint) | %s |\n", cells(func(r *results) []float64 { return r.pageCold }))
	fmt.Fprintf(w, "| the wasm runs: the widget's first message (sent as it mounts, as the bare app's \"running\": halochat:ready, or halochat:boot where it waits for the loader's hello) reaches the host page | %s |\n",
		cells(func(r *results) []float64 { return r.bootCold }))
	fmt.Fprintf(w, "| interactive (chatWindowOpened on the host page) | %s |\n", cells(func(r *results) []float64 { return r.interactiveCold }))
	for i, name := range bareStages {
		fmt.Fprintf(w, "| %s | %s |\n", name, cells(func(r *results) []float64 { return column(r.floorStepsCold, i) }))
	}
	fmt.Fprintf(w, "| the bare app: its \"running\" reaches the host page (the floor) | %s |\n", cells(func(r *results) []float64 { return r.floorCold }))
	fmt.Fprintf(w, "| KB the service sent between the click and interactive (every connection: the page's and its service worker's) | %s |\n",
		cells(func(r *results) []float64 { return r.sentCold }))
}

// column is the i-th value of each run that had it (a step that did not
// happen is -1).
func column(runs [][]float64, i int) []float64 {
	var v []float64
	for _, run := range runs {
		if i < len(run) && run[i] >= 0 {
			v = append(v, run[i])
		}
	}
	return v
}

// dwellText says when the mouse pressed the launcher after reaching it.
func dwellText(d time.Duration) string {
	if d <= 0 {
		return "at once"
	}
	return d.String() + " later"
}

// summary is the short report of a run of some modes (-modes): the
// button.click() figures, the floor, and where the cold click's time
// went.
func summary(w io.Writer, o options, res map[bool]*results, links []link, throttled []*results) {
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(w, "widgetbench -modes %s, %d runs, median / max; load average at the end: %s\n", o.modes, o.runs, strings.TrimSpace(string(load)))
	fmt.Fprintln(w, "| mode | painted, cold | page painted, cold | interactive, cold | floor, cold | over the floor, cold | interactive, warm | floor, warm | KB sent, cold |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	var names []string
	var all []*results
	line := func(name string, r *results) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f |\n", name, summarize(r.paintedCold).ms(), summarize(r.pageCold).ms(),
			summarize(r.interactiveCold).ms(), summarize(r.floorCold).ms(), ratios(r.interactiveCold, r.floorCold).times(),
			summarize(r.interactiveWarm).ms(), summarize(r.floorWarm).ms(), summarize(r.sentCold).med)
		names, all = append(names, name), append(all, r)
	}
	for _, isolated := range []bool{true, false} {
		if r, ok := res[isolated]; ok {
			line("isolation "+onOff(isolated), r)
		}
	}
	for i, l := range links {
		line(l.name, throttled[i])
	}
	carriedReport(w, o, links, throttled)
	stagesReport(w, names, all)
}
