package chatapi_test

import (
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"halochat/app/protocol"
	"halochat/backend/store"
	"halochat/backend/testenv"
)

// TestConcurrentUploadsStream sends ten files at once, each into a chat
// of its own, and measures the upload throughput and the server's peak
// heap and RSS meanwhile: an upload is streamed (to a temporary file,
// then a 256 KiB chunk at a time into the database), so the heap must
// stay far below the files' total. HALOCHAT_UPLOAD_MIB sets each file's
// size (default 4; docs/BENCHMARKS.md has 10, the default limit). The
// clients stream their bodies through pipes: what the process holds is
// the server's, with the clients' few buffers.
func TestConcurrentUploadsStream(t *testing.T) {
	if underRace {
		t.Skip("measures memory: not under the race detector (see race_test.go)")
	}
	mib := 4
	if v := os.Getenv("HALOCHAT_UPLOAD_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			t.Fatalf("HALOCHAT_UPLOAD_MIB=%q: want 1 to 10", v)
		}
		mib = n
	}
	// One database after the other: the memory is the process's.
	for _, db := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", testenv.SQLiteDSN}, {"postgres", testenv.PostgresDSN}} {
		t.Run(db.name, func(t *testing.T) { measureUploads(t, newEnv(t, db.dsn(t)), mib) })
	}
}

// measureUploads is TestConcurrentUploadsStream on one database.
func measureUploads(t *testing.T, e *env, mib int) {
	{
		n := e.node(nodeOpts{})
		// The node compresses its pages' files as it starts: brotli's
		// tables (~100 MiB) in the heap while the uploads run made it
		// look as if the files were held whole. Measured once it is ready.
		waitReady(t, n.url)
		const uploads = 10
		starts := make([]*protocol.StartChatResponse, uploads)
		for i := range starts {
			starts[i] = n.mustStart(protocol.StartChatRequest{})
		}
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		rss0 := rss(t)
		peakHeap, peakRSS, stop := sampleMemory(t)
		began := time.Now()
		var wg sync.WaitGroup
		for _, s := range starts {
			wg.Go(func() { streamUpload(t, n, s, int64(mib)<<20) })
		}
		wg.Wait()
		took := time.Since(began)
		stop()
		total := float64(uploads * mib) // MiB
		heap := float64(int64(peakHeap.Load())-int64(base.HeapInuse)) / (1 << 20)
		t.Logf("%s: %d uploads of %d MiB at once: %.0f MiB in %v, %.1f MiB/s; peak heap in use +%.1f MiB (%.1f MiB), peak RSS %.0f MiB (+%.0f MiB)",
			e.st.Dialect(), uploads, mib, total, took.Round(time.Millisecond), total/took.Seconds(), heap,
			float64(peakHeap.Load())/(1<<20), float64(peakRSS.Load())/(1<<20), float64(int64(peakRSS.Load())-int64(rss0))/(1<<20))
		// A file held whole would grow the heap by the files' total; the
		// PostgreSQL driver's buffers alone take ~20 MiB on a busy
		// machine, whatever the files' size (docs/BENCHMARKS.md), so the
		// bound is most of the total, not half of it.
		if heap > total*0.8 && heap > 16 {
			t.Errorf("the heap grew by %.1f MiB for %.0f MiB of uploads: something holds files whole", heap, total)
		}
		for _, s := range starts {
			if f, c := storedFiles(t, e.st, s.ChatID); f != 1 || c != (mib<<20)/store.AttachmentChunkSize {
				t.Errorf("chat %s: %d attachments in %d chunks, want 1 in %d", s.ChatID, f, c, (mib<<20)/store.AttachmentChunkSize)
			}
		}
	}
}

// waitReady polls the node's /readyz until it answers 200.
func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get(url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node was not ready within a minute (last: %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sampleMemory records the process's peak heap in use and RSS every 10
// ms until stop is called.
func sampleMemory(t *testing.T) (heap, rssPeak *atomic.Uint64, stop func()) {
	heap, rssPeak = new(atomic.Uint64), new(atomic.Uint64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			heap.Store(max(heap.Load(), m.HeapInuse))
			rssPeak.Store(max(rssPeak.Load(), rss(t)))
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return heap, rssPeak, func() { cancel(); <-done }
}

// streamUpload uploads size bytes of text into the visitor's chat,
// writing the multipart body through a pipe as the request sends it.
func streamUpload(t *testing.T, n *node, s *protocol.StartChatResponse, size int64) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", "load.txt")
		if err == nil {
			_, err = io.Copy(fw, io.LimitReader(textSource{}, size))
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest("POST", n.url+"/chat/api/v1/chats/"+s.ChatID+"/attachments", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", n.url)
	req.Header.Set(protocol.HeaderResumeSecret, s.ResumeSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("upload to %s: %v", s.ChatID, err)
		return
	}
	defer resp.Body.Close()
	var a protocol.Attachment
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusCreated || a.Size != size {
		t.Errorf("upload to %s: %d %+v %v", s.ChatID, resp.StatusCode, a, err)
	}
}

// textSource is endless plain text.
type textSource struct{}

func (textSource) Read(p []byte) (int, error) {
	const line = "the quick brown fox jumps over the lazy dog 0123456789\n"
	for i := range p {
		p[i] = line[i%len(line)]
	}
	return len(p), nil
}
