// Package precompressed serves small files held in memory — the embed
// loader, go-app's scripts, styles and manifest — as brotli or gzip by
// the client's Accept-Encoding, with a content-hash ETag and 304s.
//
// Files that are static in the repository are compressed by `make build`
// (a .br and a .gz beside them in static/dist, brotli -q 11 and gzip -9); a File uses those
// copies only when they decompress to its bytes, so a copy left over from
// an older build is never served. Files generated at start-up (go-app's
// app.js and manifest) and files without a build copy are compressed once,
// on their first request, in the process.
package precompressed

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// File is one file's bytes and their compressed copies.
type File struct {
	contentType  string
	cacheControl string
	raw          []byte
	sum          [sha256.Size]byte
	hash         string // hex of the first 8 bytes of sum
	built        fs.FS
	builtName    string
	cache        *Cache

	once   sync.Once
	br, gz []byte // nil when the copy could not be made
}

// Options describe how a File is served and where its build copies are.
type Options struct {
	// ContentType of the file, e.g. "text/javascript; charset=utf-8".
	ContentType string
	// CacheControl of every answer, e.g. "public, max-age=300".
	CacheControl string
	// Built, when set, may hold BuiltName+".br" and BuiltName+".gz" made
	// by the build.
	Built     fs.FS
	BuiltName string
	// Cache, when set, holds the compressed copies of every File made
	// with it by content: the same bytes are compressed once.
	Cache *Cache
}

// Cache holds compressed copies by the SHA-256 of what was compressed,
// for a process that makes the same Files many times: the tests start a
// service a test, and brotli -q 11 of go-app's files was a fifth of a
// test's CPU under the race detector. `halochat serve` starts one service
// and needs none. Safe for concurrent use.
type Cache struct {
	mu     sync.Mutex
	copies map[[sha256.Size]byte]*copies
}

// copies are one content's compressed copies, made once.
type copies struct {
	once   sync.Once
	br, gz []byte
}

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{copies: map[[sha256.Size]byte]*copies{}} }

// of returns the entry for content sum, new and empty the first time.
func (c *Cache) of(sum [sha256.Size]byte) *copies {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.copies[sum]
	if e == nil {
		e = &copies{}
		c.copies[sum] = e
	}
	return e
}

// New holds raw to be served as o describes.
func New(raw []byte, o Options) *File {
	sum := sha256.Sum256(raw)
	return &File{
		contentType: o.ContentType, cacheControl: o.CacheControl,
		raw: raw, sum: sum, hash: hex.EncodeToString(sum[:8]),
		built: o.Built, builtName: o.BuiltName, cache: o.Cache,
	}
}

// Hash is a short hex content hash of the file, for versioned URLs.
func (f *File) Hash() string { return f.hash }

// Raw returns the file's bytes as they are.
func (f *File) Raw() []byte { return f.raw }

// compress fills br and gz: from the cache's copies of the same bytes,
// or made now.
func (f *File) compress() {
	if f.cache == nil {
		f.br, f.gz = f.squeezeBoth()
		return
	}
	e := f.cache.of(f.sum)
	e.once.Do(func() { e.br, e.gz = f.squeezeBoth() })
	f.br, f.gz = e.br, e.gz
}

// squeezeBoth returns the brotli and gzip copies of the file, the
// build's where they match, or nil where a copy saves nothing.
func (f *File) squeezeBoth() (br, gz []byte) {
	br = f.builtCopy(".br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil })
	if br == nil {
		br = squeeze(f.raw, func(w io.Writer) (io.WriteCloser, error) {
			return brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: window(len(f.raw))}), nil
		})
	}
	gz = f.builtCopy(".gz", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) })
	if gz == nil {
		gz = squeeze(f.raw, func(w io.Writer) (io.WriteCloser, error) {
			return gzip.NewWriterLevel(w, gzip.BestCompression)
		})
	}
	// A copy that saves nothing is not worth a Content-Encoding.
	if len(br) >= len(f.raw) {
		br = nil
	}
	if len(gz) >= len(f.raw) {
		gz = nil
	}
	return br, gz
}

// builtCopy returns the build's compressed copy with suffix when it
// decompresses to the file's bytes.
func (f *File) builtCopy(suffix string, open func(io.Reader) (io.Reader, error)) []byte {
	if f.built == nil || f.builtName == "" {
		return nil
	}
	b, err := fs.ReadFile(f.built, f.builtName+suffix)
	if err != nil {
		return nil
	}
	r, err := open(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	plain, err := io.ReadAll(io.LimitReader(r, int64(len(f.raw))+1))
	if err != nil || !bytes.Equal(plain, f.raw) {
		return nil
	}
	return b
}

// window is the brotli window (log2 of its bytes) that holds a file of n
// bytes, within brotli's 10 to 24. The default (22, 4 MiB) made each of
// go-app's files of a few KB allocate ~30 MiB of tables that were then
// cleared: with the window fitted, compressing the widget's and the
// console's files took a fifth of the time and a twentieth of the memory
// (2026-12-07: 107 ms and 11 MiB against 501 ms and 235 MiB for one
// set, 3 bytes larger in all).
func window(n int) int {
	return min(24, max(10, bits.Len(uint(n)+15)))
}

func squeeze(raw []byte, open func(io.Writer) (io.WriteCloser, error)) []byte {
	var buf bytes.Buffer
	w, err := open(&buf)
	if err != nil {
		return nil
	}
	if _, err := w.Write(raw); err != nil {
		return nil
	}
	if err := w.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

// Prepare makes the compressed copies now, if no request has yet: the
// first request then does not wait for brotli -q 11.
func (f *File) Prepare() { f.once.Do(f.compress) }

// Encoded returns the bytes sent for a Content-Encoding ("br", "gzip" or
// "" for the file as it is) and the ETag of that representation.
func (f *File) Encoded(encoding string) ([]byte, string, error) {
	f.once.Do(f.compress)
	switch encoding {
	case "":
		return f.raw, `"` + f.hash + `"`, nil
	case "br":
		if f.br != nil {
			return f.br, `"` + f.hash + `-br"`, nil
		}
	case "gzip":
		if f.gz != nil {
			return f.gz, `"` + f.hash + `-gz"`, nil
		}
	}
	return nil, "", fmt.Errorf("no %q copy of the file", encoding)
}

// ServeHTTP answers GET and HEAD with the best encoding the client
// accepts, with the Options' Cache-Control.
func (f *File) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.Serve(w, r, f.cacheControl)
}

// Serve is ServeHTTP with another Cache-Control: one file may be served
// both under a versioned URL (immutable) and under a fixed one.
func (f *File) Serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Vary", "Accept-Encoding")
	if cacheControl != "" {
		h.Set("Cache-Control", cacheControl)
	}
	body, etag, encoding := f.raw, `"`+f.hash+`"`, ""
	for _, enc := range Preferred(r.Header.Get("Accept-Encoding"), "br", "gzip") {
		if b, tag, err := f.Encoded(enc); err == nil {
			body, etag, encoding = b, tag, enc
			break
		}
	}
	h.Set("ETag", etag)
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
	}
	// Every representation carries the same content: a client holding
	// any of them has the current file.
	if MatchesAny(r.Header.Get("If-None-Match"), f.hash) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// Preferred returns the codings of offered (in the server's order of
// preference) that an Accept-Encoding header allows, the client's higher
// q-values first. A q of 0 refuses a coding; "*" stands for every coding
// the header does not name.
func Preferred(header string, offered ...string) []string {
	q := make(map[string]float64)
	star := -1.0
	for _, part := range strings.Split(header, ",") {
		fields := strings.Split(part, ";")
		coding := strings.ToLower(strings.TrimSpace(fields[0]))
		if coding == "" {
			continue
		}
		weight := 1.0
		for _, param := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || n < 0 || n > 1 {
				n = 0
			}
			weight = n
		}
		if coding == "*" {
			star = weight
			continue
		}
		q[coding] = weight
	}
	var out []string
	for _, c := range offered {
		w, named := q[c]
		if !named {
			w = star
		}
		if w <= 0 {
			continue
		}
		i := len(out)
		for i > 0 && weightOf(q, star, out[i-1]) < w {
			i--
		}
		out = append(out[:i], append([]string{c}, out[i:]...)...)
	}
	return out
}

func weightOf(q map[string]float64, star float64, c string) float64 {
	if w, ok := q[c]; ok {
		return w
	}
	return star
}

// MatchesAny reports whether an If-None-Match header names "*" or any
// representation of the content with this hash (weak comparison: W/ is
// ignored, and "hash", "hash-br" and "hash-gz" all match).
func MatchesAny(header, hash string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		tag = strings.TrimPrefix(tag, "W/")
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			continue
		}
		tag = tag[1 : len(tag)-1]
		if tag == hash || tag == hash+"-br" || tag == hash+"-gz" {
			return true
		}
	}
	return false
}

// Decoder undoes a Content-Encoding this package sends ("br", "gzip" or
// "" for none): for clients and tests that read what was sent.
func Decoder(encoding string, r io.Reader) (io.Reader, error) {
	switch encoding {
	case "":
		return r, nil
	case "br":
		return brotli.NewReader(r), nil
	case "gzip":
		return gzip.NewReader(r)
	}
	return nil, fmt.Errorf("unknown Content-Encoding %q", encoding)
}
