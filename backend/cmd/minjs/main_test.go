package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"halochat/static"
)

// The loader as the service sends it (make build minifies it) fits the
// 4 KB gzip budget of issue 19, and minifying loses none of its code paths
// that the browser tests drive (backend/browsertest runs the served copy).
func TestTheMinifiedLoaderFitsFourKBGzip(t *testing.T) {
	src, err := os.ReadFile("../../../static/index.js")
	if err != nil {
		t.Fatal(err)
	}
	min, err := Minify(src, "index.js")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := w.Write(min); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("index.js: %d B source, %d B minified, %d B minified and gzipped", len(src), len(min), gz.Len())
	if gz.Len() > 4096 {
		t.Errorf("the minified loader is %d B gzip, above the 4,096 B budget", gz.Len())
	}
	// The texts the page and the service read stay as written.
	for _, s := range []string{"haloChat_inboundEvent_", "haloChat_outboundEvent_", "halochat:hello", "/chat/widget/", "availability.js"} {
		if !bytes.Contains(min, []byte(s)) {
			t.Errorf("the minified loader lost %q", s)
		}
	}
	if bytes.Contains(min, []byte("/*")) {
		t.Error("the minified loader kept a comment")
	}
}

func TestRunWritesTheCopyAndTheStampStaticChecks(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.js"), filepath.Join(dir, "out.js")
	src := []byte("/* a comment */\n(function () { var longName = 1; console.log(longName + 1); })();\n")
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(in, out); err != nil {
		t.Fatal(err)
	}
	min, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(min) >= len(src) || strings.Contains(string(min), "longName") {
		t.Errorf("not minified: %q", min)
	}
	stamp, err := os.ReadFile(out + ".source")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(stamp)), static.LoaderStamp(src); got != want {
		t.Errorf("stamp %q, static.LoaderStamp %q: the server would not serve the copy", got, want)
	}
}

func TestMinifyNamesTheErrorsPlace(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"syntax", "(function () { var = ; })();", "bad.js:1:"},
		{"unclosed", "function f( {", "bad.js:1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Minify([]byte(tc.src), "bad.js")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Minify(%q) error = %v, want one naming %q", tc.src, err, tc.want)
			}
		})
	}
}
