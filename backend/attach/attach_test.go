package attach

import (
	"archive/zip"
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"halochat/app/i18n"
	"halochat/app/protocol"
)

// zipWith is a zip file holding the named (empty) entries, in order;
// stored: the first one uncompressed with content.
func zipWith(t *testing.T, first, content string, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: first, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(content))
	for _, n := range names {
		if _, err := zw.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	_ = zw.Close()
	return b.Bytes()
}

func TestSniffDecidesFromTheBytes(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		ct   string
		kind string
	}{
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png", protocol.KindImage},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "image/jpeg", protocol.KindImage},
		{"gif", []byte("GIF89a\x01\x00"), "image/gif", protocol.KindImage},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf", protocol.KindPDF},
		{"text", []byte("hello\nworld"), "text/plain; charset=utf-8", protocol.KindText},
		{"html", []byte("<html><script>x</script>"), "text/html", ""},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "text/xml", ""},
		{"svg without xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="x"/>`), "text/plain; charset=utf-8", protocol.KindText},
		{"doc", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, 0, 0), TypeOLE, protocol.KindOffice},
		{"docx", zipWith(t, "[Content_Types].xml", "<Types/>", "_rels/.rels", "word/document.xml"), TypeDOCX, protocol.KindOffice},
		{"xlsx", zipWith(t, "[Content_Types].xml", "<Types/>", "xl/workbook.xml"), TypeXLSX, protocol.KindOffice},
		{"odt", zipWith(t, "mimetype", "application/vnd.oasis.opendocument.text", "content.xml"), "application/vnd.oasis.opendocument.text", protocol.KindOffice},
		{"zip", zipWith(t, "a.txt", "a", "b.txt"), "application/zip", protocol.KindZip},
		{"binary", []byte{0, 1, 2, 3, 0xff}, TypeOctet, ""},
	}
	for _, tt := range tests {
		if ct := Sniff(tt.head); ct != tt.ct || KindOf(ct) != tt.kind {
			t.Errorf("%s: %q (kind %q), want %q (%q)", tt.name, ct, KindOf(ct), tt.ct, tt.kind)
		}
	}
}

// An SVG that net/http reads as text is still never served as a page:
// text is served as text/plain under nosniff, and only raster images
// inline.
func TestOnlyRasterImagesInline(t *testing.T) {
	for ct, want := range map[string]bool{"image/png": true, "image/webp": true, "image/svg+xml": false,
		"text/plain; charset=utf-8": false, "text/html": false, "image/bmp": false} {
		if Inline(ct) != want {
			t.Errorf("Inline(%q) = %v", ct, !want)
		}
	}
}

func TestReceiveRefusesBeforeStoring(t *testing.T) {
	dir := t.TempDir()
	st := protocol.AttachmentSettings{MaxBytes: 100 << 10, Types: []string{protocol.KindText}}
	tests := []struct {
		name string
		body []byte
		lang i18n.Lang
		code string
		text string // what the refusal says, in lang
	}{
		{"text", []byte(strings.Repeat("a", 100<<10)), i18n.English, "", ""},
		{"over by one", []byte(strings.Repeat("a", 100<<10+1)), i18n.English, protocol.CodeTooLarge,
			"file: the file is larger than the limit of 100 KiB"},
		{"over by one, in German", []byte(strings.Repeat("a", 100<<10+1)), i18n.German, protocol.CodeTooLarge,
			"file: Die Datei ist größer als die Grenze von 100 KiB"},
		{"a kind not taken", []byte("%PDF-1.4"), i18n.English, protocol.CodeUnsupportedMedia,
			"file: files of type application/pdf are not accepted; allowed are text files"},
		{"a kind not taken, in French", []byte("%PDF-1.4"), i18n.French, protocol.CodeUnsupportedMedia,
			"file: les fichiers de type application/pdf ne sont pas acceptés ; sont autorisés : fichiers texte"},
		{"empty, in Spanish", nil, i18n.Spanish, protocol.CodeInvalidRequest, "file: el archivo está vacío"},
	}
	for _, tt := range tests {
		r, err := Receive(bytes.NewReader(tt.body), dir, st, tt.lang)
		var e *protocol.APIError
		if tt.code == "" {
			if err != nil || r.Size != int64(len(tt.body)) {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			r.Discard()
		} else if !errors.As(err, &e) || e.Code != tt.code || e.Field != "file" || e.Message != tt.text {
			t.Errorf("%s: %v, want %s saying %q", tt.name, err, tt.code, tt.text)
		}
	}
	if left, _ := filepathGlob(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf": "report.pdf", "../../etc/passwd": "passwd", `C:\Users\x\a.png`: "a.png",
		"evil\u202egnp.exe": "evilgnp.exe", "a\"b\r\n.txt": "ab.txt", "": "file", "..": "file", " . ": "file",
		strings.Repeat("é", 150) + ".png": strings.Repeat("é", 98) + ".png",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a.png", "../x", "\u202e", strings.Repeat("ü", 300) + ".docx", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := CleanName(in)
		if out == "" || len(out) > MaxNameBytes || !utf8.ValidString(out) || strings.ContainsAny(out, "/\\\"\r\n\x00") {
			t.Errorf("CleanName(%q) = %q", in, out)
		}
	})
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("PK\x03\x04"))
	f.Add(append([]byte("PK\x03\x04"), make([]byte, 26)...))
	f.Add([]byte("<html>"))
	f.Fuzz(func(t *testing.T, head []byte) {
		ct := Sniff(head)
		if k := KindOf(ct); k == protocol.KindText && ct != "text/plain; charset=utf-8" || strings.Contains(ct, "html") && k != "" {
			t.Errorf("Sniff(%q) = %q, kind %q", head, ct, k)
		}
	})
}

func filepathGlob(dir string) ([]string, error) { return filepath.Glob(filepath.Join(dir, "*")) }
