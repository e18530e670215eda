// Package widget holds the go-app components of the visitor chat widget,
// the page that runs inside the iframe the loader (static/index.js) puts on
// the host page. It is compiled to WebAssembly by wasm/widget and
// prerendered by the server.
//
// The loader and the widget talk with postMessage (app/protocol's bridge
// types), each naming the other's exact origin: the loader says hello
// until the widget answers ready, forwards the host page's
// haloChat_inboundEvent_* events, and dispatches what the widget reports
// as haloChat_outboundEvent_* events.
package widget

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"halochat/app/i18n"
)

// Register declares the widget's routes. Both the wasm main and the
// server's handler call it: go-app matches routes on both sides.
func Register() {
	app.Route("/", func() app.Composer { return &Window{} })
}

// t is key's text in the window's language; f formats it with args.
func (w *Window) t(key i18n.Key) string { return i18n.WidgetT(w.lang(), key) }

func (w *Window) f(key i18n.Key, args ...any) string { return fmt.Sprintf(w.t(key), args...) }

// lang is the window's language: its chat's (the service decides it when
// the chat starts), else the profile's setting — a language, or auto: the
// browser's preferred languages, then the profile's default language.
func (w *Window) lang() i18n.Lang {
	if w.conv != nil && i18n.Valid(w.conv.Chat.Language) {
		return i18n.Lang(w.conv.Chat.Language)
	}
	return i18n.Choose(w.profile.Language, w.profile.DefaultLanguage, w.prefs)
}

// markLanguage sets the document's lang and dir to the window's language
// (Arabic is right to left: the styles use logical properties).
func (w *Window) markLanguage() {
	l := w.lang()
	if l == w.shownLang {
		return
	}
	w.shownLang = l
	root := app.Window().Get("document").Get("documentElement")
	root.Call("setAttribute", "lang", string(l))
	root.Call("setAttribute", "dir", l.Dir())
}

// browserLanguages are navigator.languages, best first.
func browserLanguages() []string {
	nav := app.Window().Get("navigator")
	list := nav.Get("languages")
	if !list.Truthy() || list.Length() == 0 {
		if one := nav.Get("language"); one.Truthy() {
			return []string{one.String()}
		}
		return nil
	}
	out := make([]string, 0, list.Length())
	for i := 0; i < list.Length(); i++ {
		out = append(out, list.Index(i).String())
	}
	return out
}
