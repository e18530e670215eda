// Package static holds the files the service serves as they are: the embed
// loader index.js and the build output in dist/ (the widget wasm and its
// precompressed copies), embedded into the binary.
//
// dist/ holds only a committed .keep until `make build` runs, so a fresh
// clone still vets and tests; the server answers 503 for a wasm that was
// not built.
package static

import (
	"embed"
	"io/fs"
)

//go:embed index.js demo.html
var files embed.FS

//go:embed all:dist
var dist embed.FS

//go:embed web
var web embed.FS

// Loader returns the embed loader served as /chat/index.js.
func Loader() []byte {
	b, err := files.ReadFile("index.js")
	if err != nil {
		panic("static: index.js is embedded at build time: " + err.Error())
	}
	return b
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
