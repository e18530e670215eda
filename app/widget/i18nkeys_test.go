//go:build !js

package widget

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestWidgetUsesOnlyWidgetTexts: every i18n key the widget names is one
// of the widget's texts, declared in app/i18n/keys.go before the server's
// system messages (firstSystem): i18n.WidgetT, which keeps the system
// messages' seven languages out of the wasm, answers "" for the others.
func TestWidgetUsesOnlyWidgetTexts(t *testing.T) {
	fset := token.NewFileSet()
	keys, err := parser.ParseFile(fset, filepath.Join("..", "i18n", "keys.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	order := map[string]int{} // a Key constant → its place
	first := ""               // the name firstSystem is set to
	for _, d := range keys.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			v := sp.(*ast.ValueSpec)
			for _, n := range v.Names {
				if n.Name == "firstSystem" && len(v.Values) == 1 {
					if id, ok := v.Values[0].(*ast.Ident); ok {
						first = id.Name
					}
					continue
				}
				order[n.Name] = len(order)
			}
		}
	}
	limit, ok := order[first]
	if first == "" || !ok {
		t.Fatalf("keys.go: firstSystem = %q, not one of its keys", first)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "i18n" {
				return true
			}
			at, isKey := order[sel.Sel.Name]
			if !isKey {
				return true
			}
			used++
			if at >= limit {
				t.Errorf("%s: i18n.%s is a system message (declared after %s in app/i18n/keys.go): WidgetT answers \"\" for it; declare the widget's texts before %s",
					fset.Position(sel.Pos()), sel.Sel.Name, first, first)
			}
			return true
		})
	}
	if used < 20 {
		t.Fatalf("found %d uses of i18n keys in the widget; the test reads the wrong files", used)
	}
}
