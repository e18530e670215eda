// Command funclen reports every function, method and function literal
// longer than -max lines, so that long functions are split into named
// steps before they grow further.
//
//	go run ./backend/cmd/funclen -max 120 ./app/... ./backend/... ./wasm/...
//
// Arguments are directories ("./backend/store"), directory trees
// ("./backend/..."), or .go files. Every .go file is read whatever its
// build constraints (a js/wasm file counts as much as a linux one);
// testdata, vendor and folders whose name starts with "." or "_" are
// skipped, as are generated files. A function's length is counted from
// the line of its func keyword to the line of its closing brace; a
// function literal is reported on its own and also counts in the function
// holding it. Functions of _test.go files are reported in a section of
// their own, or left out with -tests=false.
//
// The exit status is 1 when anything was reported, 2 on a usage or read
// error, 0 otherwise.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its arguments and output, and the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("funclen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxLines := fs.Int("max", 120, "report functions longer than this many lines")
	tests := fs.Bool("tests", true, "also report the functions of _test.go files (in a section of their own)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: funclen [-max N] [-tests=false] dir | dir/... | file.go ...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 || *maxLines < 1 {
		fs.Usage()
		return 2
	}
	files, err := expand(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "funclen:", err)
		return 2
	}
	if !*tests {
		files = slices.DeleteFunc(files, isTest)
	}
	var code, tested []Func
	for _, f := range files {
		funcs, err := measureFile(f)
		if err != nil {
			fmt.Fprintln(stderr, "funclen:", err)
			return 2
		}
		for _, fn := range longer(funcs, *maxLines) {
			if isTest(f) {
				tested = append(tested, fn)
			} else {
				code = append(code, fn)
			}
		}
	}
	report(stdout, "", code)
	report(stdout, "tests", tested)
	fmt.Fprintf(stdout, "%d functions longer than %d lines, %d of them in tests (%d files read)\n",
		len(code)+len(tested), *maxLines, len(tested), len(files))
	if len(code)+len(tested) > 0 {
		return 1
	}
	return 0
}

// report prints funcs under a heading ("" for none), longest first.
func report(w io.Writer, heading string, funcs []Func) {
	if len(funcs) == 0 {
		return
	}
	if heading != "" {
		fmt.Fprintf(w, "%s:\n", heading)
	}
	sortLongestFirst(funcs)
	for _, f := range funcs {
		fmt.Fprintf(w, "%s:%d: %s is %d lines\n", f.File, f.Line, f.Name, f.Lines)
	}
}
