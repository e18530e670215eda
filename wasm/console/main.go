// Command console is the agent console and admin pages compiled to
// WebAssembly (GOOS=js GOARCH=wasm): a wasm of its own, so the visitor
// widget stays small. Client code only; the server lives in backend/.
package main

import (
	"halochat/app/console"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	console.Register()
	app.RunWhenOnBrowser()
}
