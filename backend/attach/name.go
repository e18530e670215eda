package attach

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds a cleaned file name.
const MaxNameBytes = 200

// CleanName makes an uploaded file's name safe to store, show and send
// back in Content-Disposition: its last path element (either slash),
// valid UTF-8 without control or format characters (no bidi overrides
// that disguise an extension), trimmed of spaces and dots, at most
// MaxNameBytes bytes (keeping the extension when it can). An empty
// result is "file".
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	if len(name) > MaxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = truncate(name[:len(name)-len(ext)], MaxNameBytes-len(ext)) + ext
	}
	if name == "" || name == "/" {
		return "file"
	}
	return name
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:min(n, len(s))]
}
