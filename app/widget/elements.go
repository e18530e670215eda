package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// The widget builds its elements with go-app's generic app.Elem and
// app.ElemSelfClosing, never the typed builders (app.Div, app.Button,
// app.Input…). A typed builder drags its whole method set into the wasm
// (each element type implements 60 to 150 methods, all reachable through
// the interface the builder returns: the textarea's alone cost 8.7 KB
// brotli); every one of those methods only sets an attribute, which Attr
// does through the one generic type the widget links anyway.

// button is a type="button" button of class cls showing text.
func button(cls, text string) app.HTMLElem {
	return app.Elem("button").Class(cls).Attr("type", "button").Text(text)
}

// submit is a form's submit button (class hc-send) showing text.
func submit(text string, disabled bool) app.HTMLElem {
	return app.Elem("button").Class("hc-send").Attr("type", "submit").Attr("disabled", disabled).Text(text)
}

// para is a paragraph of class cls holding text.
func para(cls, text string) app.HTMLElem {
	return app.Elem("p").Class(cls).Text(text)
}

// input is an input element of type typ.
func input(id, cls, typ string) app.HTMLElemSelfClosing {
	return app.ElemSelfClosing("input").ID(id).Class(cls).Attr("type", typ)
}
