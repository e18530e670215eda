// Command widget is the visitor chat widget compiled to WebAssembly
// (GOOS=js GOARCH=wasm). It holds only client code: the server that serves
// it lives in backend/, so none of it is linked in here.
package main

import (
	"halochat/app/widget"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	widget.Register()
	app.RunWhenOnBrowser()
}
