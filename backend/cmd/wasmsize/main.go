// Command wasmsize reports what a Go WebAssembly binary spends its bytes
// on, by package: the size of each function's code, from the code section,
// named by the binary's name section (build without -s, so that the names
// are kept; go tool nm does not read wasm). Given a second binary (the
// bare go-app app), it reports what the first adds above it, package by
// package. Data segments (type information, strings, the pc tables) are a
// line of their own.
//
//	GOOS=js GOARCH=wasm go build -trimpath -o /tmp/w.wasm ./wasm/widget
//	GOOS=js GOARCH=wasm go build -trimpath -o /tmp/b.wasm ./testdata/bareapp
//	go run ./backend/cmd/wasmsize -top 25 /tmp/w.wasm /tmp/b.wasm
//
// `make bench` writes its table into docs/BENCHMARKS.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
)

func main() {
	top := flag.Int("top", 25, "packages to list")
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-top N] app.wasm [base.wasm]")
		os.Exit(2)
	}
	var got [2]*sizes
	for i, f := range flag.Args() {
		s, err := read(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wasmsize:", err)
			os.Exit(1)
		}
		got[i] = s
	}
	if got[1] == nil {
		got[1] = &sizes{byPkg: map[string]int{}}
	}
	report(got[0], got[1], *top)
}

// sizes are one binary's code bytes by package.
type sizes struct {
	byPkg             map[string]int
	code, data, total int
}

func read(file string) (*sizes, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(m.Names) == 0 {
		return nil, fmt.Errorf("%s has no function names: build it without -s", file)
	}
	s := &sizes{byPkg: map[string]int{}, data: m.Data, total: len(b)}
	for i, n := range m.CodeSizes {
		s.byPkg[pkgOf(m.Names[m.Imports+i])] += n
		s.code += n
	}
	return s, nil
}

func report(app, base *sizes, top int) {
	pkgs := make([]string, 0, len(app.byPkg))
	for p := range app.byPkg {
		pkgs = append(pkgs, p)
	}
	for p := range base.byPkg {
		if _, ok := app.byPkg[p]; !ok {
			pkgs = append(pkgs, p)
		}
	}
	diff := func(p string) int { return app.byPkg[p] - base.byPkg[p] }
	sort.Slice(pkgs, func(i, j int) bool {
		if diff(pkgs[i]) != diff(pkgs[j]) {
			return diff(pkgs[i]) > diff(pkgs[j])
		}
		return app.byPkg[pkgs[i]] > app.byPkg[pkgs[j]]
	})
	fmt.Println("| package (as the linker names it) | code bytes | in the base | added |")
	fmt.Println("| --- | --- | --- | --- |")
	restApp, restBase := app.code, base.code
	for i, p := range pkgs {
		if i == top {
			break
		}
		restApp -= app.byPkg[p]
		restBase -= base.byPkg[p]
		fmt.Printf("| %s | %d | %d | %+d |\n", p, app.byPkg[p], base.byPkg[p], diff(p))
	}
	fmt.Printf("| %d other packages | %d | %d | %+d |\n", max(0, len(pkgs)-top), restApp, restBase, restApp-restBase)
	fmt.Printf("| all code | %d | %d | %+d |\n", app.code, base.code, app.code-base.code)
	fmt.Printf("| data segments (types, strings, pc tables) | %d | %d | %+d |\n", app.data, base.data, app.data-base.data)
	fmt.Printf("| the whole file (with names) | %d | %d | %+d |\n", app.total, base.total, app.total-base.total)
}
