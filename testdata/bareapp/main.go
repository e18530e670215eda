// Command bareapp is the yardstick of the widget's size: a client-only
// go-app v10 app with one component and nothing else, built the same way
// as wasm/widget (GOOS=js GOARCH=wasm, -trimpath -ldflags='-s -w', then
// wasm-opt). `make bench` compares the two, brotli-compressed, in one run,
// and widgetbench times it in an iframe as the floor of click → running:
// it tells its parent page when it has mounted.
package main

import "github.com/maxence-charriere/go-app/v10/pkg/app"

type hello struct{ app.Compo }

func (h *hello) Render() app.UI { return app.H1().Text("Hello") }

func (h *hello) OnMount(app.Context) {
	app.Window().Get("parent").Call("postMessage", "bareapp:running", "*")
}

func main() {
	app.Route("/", func() app.Composer { return &hello{} })
	app.RunWhenOnBrowser()
}
