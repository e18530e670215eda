// Command minjs minifies a hand-written browser script for serving: the
// embed loader (static/index.js) stays readable in the repository, and
// `make build` writes the copy the service sends.
//
//	go run ./backend/cmd/minjs -o static/dist/index.js static/index.js
//
// Beside the output it writes OUT.source, the SHA-256 (hex) of the input:
// static.Loader serves the minified copy only when it was made from the
// index.js embedded with it, so an edit without `make build` serves the
// source as it is rather than a stale loader.
//
// The minifier is esbuild's (github.com/evanw/esbuild/pkg/api, whitespace,
// identifiers and syntax); it is linked into this tool only, never into
// the server.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	out := flag.String("o", "", "the minified script to write (and OUT.source)")
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: minjs -o OUT IN")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, "minjs:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("read the script: %w", err)
	}
	min, err := Minify(src, in)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, min, 0o644); err != nil {
		return fmt.Errorf("write the minified script: %w", err)
	}
	if err := os.WriteFile(out+".source", []byte(Stamp(src)+"\n"), 0o644); err != nil {
		return fmt.Errorf("write the source stamp: %w", err)
	}
	fmt.Printf("minjs: %s %d B → %s %d B\n", in, len(src), out, len(min))
	return nil
}

// Minify returns src minified. The script stays a classic script (no
// module wrapper) for the browsers the loader names (ES2017: every
// browser with shadow DOM and CustomEvent); name appears in errors.
func Minify(src []byte, name string) ([]byte, error) {
	res := api.Transform(string(src), api.TransformOptions{
		Loader:            api.LoaderJS,
		Sourcefile:        name,
		Target:            api.ES2017,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Charset:           api.CharsetUTF8,
		LegalComments:     api.LegalCommentsNone,
		LogLevel:          api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		msgs := make([]string, 0, len(res.Errors))
		for _, m := range res.Errors {
			at := ""
			if m.Location != nil {
				at = fmt.Sprintf("%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			msgs = append(msgs, at+m.Text)
		}
		return nil, fmt.Errorf("minify %s: %s", name, strings.Join(msgs, "; "))
	}
	if len(res.Code) == 0 {
		return nil, errors.New("minify " + name + ": the result is empty")
	}
	return res.Code, nil
}

// Stamp names a source: the hex SHA-256 that static.LoaderStamp computes.
func Stamp(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}
