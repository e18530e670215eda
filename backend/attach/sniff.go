// Package attach decides what a file attached to a chat is and whether
// a chat profile takes it: its type from its bytes (Sniff), never from
// its name; its name made safe to show and to send back (CleanName);
// and its receipt from a request body onto disk, bounded, so that
// nothing is held whole in memory or stored before it is accepted
// (Receive).
package attach

import (
	"bytes"
	"net/http"
	"strings"

	"halochat/app/protocol"
)

// SniffLen is how much of a file's start Sniff reads: enough for
// net/http's 512 bytes and for the entries at the start of an office
// zip file.
const SniffLen = 64 << 10

// Content types Sniff answers beyond net/http's.
const (
	TypeDOCX  = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX  = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypePPTX  = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	TypeOLE   = "application/x-ole-storage" // .doc, .xls, .ppt (Compound File Binary)
	TypeOctet = "application/octet-stream"
)

var (
	oleMagic      = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	zipMagic      = []byte("PK\x03\x04")
	odfMimeHeader = []byte("mimetypeapplication/vnd.oasis.opendocument.")
)

// Sniff returns the content type of a file that starts with head
// (its first SniffLen bytes, or all of it): net/http's
// DetectContentType, refined for office files (OOXML and OpenDocument
// are zip files, the older ones Compound File Binary). Parameters are
// dropped but text's charset.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, oleMagic):
		return TypeOLE
	case bytes.HasPrefix(head, zipMagic):
		return sniffZip(head)
	}
	ct := http.DetectContentType(head)
	if ct == "text/plain; charset=utf-8" {
		return ct
	}
	if base, _, ok := strings.Cut(ct, ";"); ok {
		ct = base
	}
	return ct
}

// sniffZip tells an office zip file from another: OpenDocument stores
// an uncompressed "mimetype" entry first; OOXML's first entries name
// word/, xl/ or ppt/ beside [Content_Types].xml.
func sniffZip(head []byte) string {
	// A local file header is 30 bytes, then the name, then the data:
	// ODF's first entry is "mimetype" (8 bytes) holding its type.
	if len(head) > 38 && bytes.HasPrefix(head[30:], odfMimeHeader) {
		rest := head[30+len(odfMimeHeader):]
		n := 0
		for n < len(rest) && n < 80 && (rest[n] >= 'a' && rest[n] <= 'z' || rest[n] == '-' || rest[n] == '.') {
			n++
		}
		if n > 0 {
			return "application/vnd.oasis.opendocument." + string(rest[:n])
		}
	}
	if bytes.Contains(head, []byte("[Content_Types].xml")) {
		switch {
		case bytes.Contains(head, []byte("word/")):
			return TypeDOCX
		case bytes.Contains(head, []byte("xl/")):
			return TypeXLSX
		case bytes.Contains(head, []byte("ppt/")):
			return TypePPTX
		}
	}
	return "application/zip"
}

// KindOf is the protocol kind (protocol.Kind*) of content type ct, ""
// for a type no kind takes (HTML, XML and SVG among them: a browser
// would run their scripts).
func KindOf(ct string) string {
	switch {
	case ct == "text/plain; charset=utf-8":
		return protocol.KindText
	case ct == "application/pdf":
		return protocol.KindPDF
	case ct == "application/zip":
		return protocol.KindZip
	case ct == TypeOLE || ct == TypeDOCX || ct == TypeXLSX || ct == TypePPTX ||
		strings.HasPrefix(ct, "application/vnd.oasis.opendocument."):
		return protocol.KindOffice
	case ct == "image/bmp" || Inline(ct):
		return protocol.KindImage
	}
	return ""
}

// Inline reports whether a file of type ct is shown in the page rather
// than downloaded: the raster images browsers decode safely. Anything
// else, SVG above all, is served as a download.
func Inline(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}
