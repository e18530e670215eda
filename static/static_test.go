package static

import (
	"testing"
	"testing/fstest"
)

func TestLoaderServesTheMinifiedCopyOfThisSourceOnly(t *testing.T) {
	src := fstest.MapFS{"index.js": {Data: []byte("/* readable */ var a = 1;\n")}}
	stamp := LoaderStamp(src["index.js"].Data)
	for _, tc := range []struct {
		name  string
		built fstest.MapFS
		want  string
	}{
		{"no build", fstest.MapFS{}, "/* readable */ var a = 1;\n"},
		{"built from this source", fstest.MapFS{
			"index.js": {Data: []byte("var a=1;")}, "index.js.source": {Data: []byte(stamp + "\n")},
		}, "var a=1;"},
		{"built from an older source", fstest.MapFS{
			"index.js": {Data: []byte("var b=2;")}, "index.js.source": {Data: []byte(LoaderStamp([]byte("var b = 2;")) + "\n")},
		}, "/* readable */ var a = 1;\n"},
		{"a copy without its stamp", fstest.MapFS{"index.js": {Data: []byte("var a=1;")}}, "/* readable */ var a = 1;\n"},
		{"a stamp without its copy", fstest.MapFS{"index.js.source": {Data: []byte(stamp)}}, "/* readable */ var a = 1;\n"},
		{"an empty copy", fstest.MapFS{"index.js": {Data: nil}, "index.js.source": {Data: []byte(stamp)}}, "/* readable */ var a = 1;\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(loader(src, tc.built)); got != tc.want {
				t.Errorf("loader = %q, want %q", got, tc.want)
			}
		})
	}
}
