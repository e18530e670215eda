// Package static holds the files the service serves as they are: the embed
// loader index.js and the build output in dist/ (the widget wasm and its
// precompressed copies), embedded into the binary.
//
// dist/ holds only a committed .keep until `make build` runs, so a fresh
// clone still vets and tests; the server answers 503 for a wasm that was
// not built.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed index.js demo.html
var files embed.FS

//go:embed all:dist
var dist embed.FS

//go:embed web
var web embed.FS

// Loader returns the embed loader served as /chat/index.js: the build's
// minified copy (dist/index.js, written by `make build` through
// backend/cmd/minjs) when it was made from the index.js embedded beside
// it, else index.js as it is (a fresh clone, or an edit not built yet).
func Loader() []byte { return loader(files, Dist()) }

// loader picks the minified copy in built when its stamp (index.js.source:
// the source's LoaderStamp) names src's index.js.
func loader(src, built fs.FS) []byte {
	b, err := fs.ReadFile(src, "index.js")
	if err != nil {
		panic("static: index.js is embedded at build time: " + err.Error())
	}
	stamp, err := fs.ReadFile(built, "index.js.source")
	if err != nil || string(bytes.TrimSpace(stamp)) != LoaderStamp(b) {
		return b
	}
	min, err := fs.ReadFile(built, "index.js")
	if err != nil || len(min) == 0 {
		return b
	}
	return min
}

// LoaderStamp names a loader source: the hex SHA-256 of its bytes, which
// backend/cmd/minjs writes beside the minified copy.
func LoaderStamp(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// DemoHostPage returns the template of the demo host page.
func DemoHostPage() []byte {
	b, err := files.ReadFile("demo.html")
	if err != nil {
		panic("static: demo.html is embedded at build time: " + err.Error())
	}
	return b
}

// Dist returns the build output folder (widget.wasm, widget.wasm.br, …).
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("static: dist is embedded at build time: " + err.Error())
	}
	return sub
}

// Assets returns the widget's styles and icons, served under its /web/.
func Assets() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic("static: web is embedded at build time: " + err.Error())
	}
	return sub
}
