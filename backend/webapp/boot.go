package webapp

import (
	"bytes"
	"fmt"
	"regexp"
)

// bootPatches are DirectBoot's changes to go-app v10's app.js, each a
// pattern that must match exactly once and its replacement.
//
//   - go-app hands instantiateStreaming a Response of its own whose body
//     a JavaScript loop fills from the fetch's, chunk by chunk, to update
//     its progress label (which the widget leaves blank): every chunk then
//     waits for the page's main thread, busy with the first paint and the
//     scripts, before V8's streaming compiler sees it, and V8 keeps no
//     compiled code for a Response without a URL. fetch's own Response
//     goes straight to the compiler.
//
//   - go-app registers its service worker first: the worker's start and
//     its install (which caches every resource, the wasm too) ran beside
//     the wasm's download and compile on a cold start. It is registered
//     once the wasm runs. widgetbench, 3 runs each on one machine, the
//     same bytes sent: click → interactive cold 860 / 890 ms (isolation
//     on / off) where the code before measured 1,190-1,248 / 1,043-1,143 ms.
//
// go-app's service worker stays: a second view's wasm comes from its
// Cache Storage, whose compiled code V8 keeps: the make bench without it
// (which also ran app.js only after the first paint) measured a second
// view's click → interactive at 542 ms (isolation on), the run before 232.
var bootPatches = []struct {
	pattern *regexp.Regexp
	with    string
}{
	{regexp.MustCompile(`instantiateStreaming\(\s*fetchWithProgress\(("[^"]+"), showProgress\),\s*go\.importObject\s*\)`),
		`goappInstantiate($1, go.importObject, instantiateStreaming)`},
	{regexp.MustCompile(`(?m)^async function goappInitServiceWorker\(\) \{$`), `// goappInstantiate streams url's response to instantiateStreaming.
function goappInstantiate(url, importObject, instantiateStreaming) {
  return instantiateStreaming(fetch(url), importObject);
}

async function goappInitServiceWorker() {`},
	{regexp.MustCompile(`(?m)^goappInitServiceWorker\(\);\n`), ``},
	{regexp.MustCompile(`go\.run\(wasm\.instance\);\n(\s*)loader\.remove\(\);\n`),
		"go.run(wasm.instance);\n${1}loader.remove();\n${1}goappInitServiceWorker(); // after the wasm, not beside its compile\n"},
}

// directBoot applies bootPatches to go-app's app.js; an app.js that
// does not match (another go-app version) is an error, not a silent
// fallback.
func directBoot(js []byte) ([]byte, error) {
	for _, p := range bootPatches {
		if n := len(p.pattern.FindAllIndex(js, -1)); n != 1 {
			return nil, fmt.Errorf("go-app's app.js: %d matches of %q, want 1 (a go-app version other than v10.1.11?)", n, p.pattern)
		}
		js = p.pattern.ReplaceAll(js, []byte(p.with))
	}
	if bytes.Contains(js, []byte("fetchWithProgress(\"")) || !bytes.Contains(js, []byte("goappInstantiate(\"")) {
		return nil, fmt.Errorf("go-app's app.js still fetches the wasm through fetchWithProgress")
	}
	return js, nil
}
