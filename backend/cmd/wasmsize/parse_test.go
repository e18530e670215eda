package main

import "testing"

// A module with one imported function, two defined ones and their names.
var tiny = []byte("\x00asm\x01\x00\x00\x00" +
	"\x02\x0a\x01\x02go\x03run\x00\x00" + // import "go"."run", a function of type 0
	"\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b" + // two bodies of 2 bytes each
	"\x0b\x03\x00\x00\x00" + // a data section of 3 bytes
	"\x00\x1c\x04name\x01\x15\x02\x01\x06main.a\x02\x0aruntime.bb")

func TestParseCountsCodeByFunction(t *testing.T) {
	m, err := parse(tiny)
	if err != nil {
		t.Fatal(err)
	}
	if m.Imports != 1 || len(m.CodeSizes) != 2 || m.CodeSizes[0] != 2 || m.Data != 3 {
		t.Fatalf("module = %+v", m)
	}
	if m.Names[1] != "main.a" || m.Names[2] != "runtime.bb" {
		t.Errorf("names = %v", m.Names)
	}
}

func TestPackageOfASymbol(t *testing.T) {
	for sym, want := range map[string]string{
		"github.com_maxence_charriere_go_app_v10_pkg_app.__browserWindow_.replaceChild": "github.com_maxence_charriere_go_app_v10_pkg_app",
		"runtime.mallocgc": "runtime",
		"halochat_app_widget.__Window_.renderAttach.If": "halochat_app_widget",
		"math_big.basicSqr.deferwrap1":                  "math_big",
		"":                                              "(unnamed)",
		"wasm_export_run":                               "wasm_export_run",
	} {
		if got := pkgOf(sym); got != want {
			t.Errorf("pkgOf(%q) = %q, want %q", sym, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tiny)
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0a\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parse(b)
		if err == nil && m == nil {
			t.Fatal("no module and no error")
		}
	})
}
