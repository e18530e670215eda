package realtime

import (
	"bytes"
	"testing"

	"halochat/backend/testenv"
)

func TestScanControlFrames(t *testing.T) {
	pong := testenv.ClientFrame(0xA, []byte("1"))
	ping := testenv.ClientFrame(0x9, bytes.Repeat([]byte("p"), 125))
	closeF := testenv.ClientFrame(0x8, []byte{3, 232})
	text := testenv.ClientFrame(0x1, []byte(`{"v":1,"type":"ping"}`))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name     string
		in       []byte
		wantKind int
		wantNeed int
	}{
		{"nothing yet", nil, framesIncomplete, 2},
		{"one byte of a header", pong[:1], framesIncomplete, 2},
		{"a header without its mask", pong[:3], framesIncomplete, len(pong)},
		{"a whole pong", pong, framesControl, 0},
		{"a pong with an empty payload", testenv.ClientFrame(0xA, nil), framesControl, 0},
		{"a ping of 125 bytes", ping, framesControl, 0},
		{"a close frame", closeF, framesControl, 0},
		{"a pong, a ping, a pong", cat(pong, ping, pong), framesControl, 0},
		{"a pong and part of the next control frame", cat(pong, ping[:40]), framesIncomplete, len(pong) + len(ping)},
		{"a pong and one byte of the next", cat(pong, ping[:1]), framesIncomplete, len(pong) + 2},
		{"a text frame", text, framesData, 0},
		{"the first byte of a text frame", text[:1], framesData, 0},
		{"a pong, then a text frame", cat(pong, text), framesData, 0},
		{"a pong, then the first byte of a text frame", cat(pong, text[:1]), framesData, 0},
		{"a continuation frame", testenv.ClientFrame(0x0, []byte("x")), framesData, 0},
		{"a binary frame", testenv.ClientFrame(0x2, []byte("x")), framesData, 0},
		{"an unmasked pong (refused by the library)", []byte{0x8A, 0x01, '1'}, framesData, 0},
		{"a control frame with an extended length (refused by the library)", testenv.ClientFrame(0x9, bytes.Repeat([]byte("p"), 126)), framesData, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, need := scanControlFrames(tc.in)
			if kind != tc.wantKind || need != tc.wantNeed {
				t.Fatalf("scanControlFrames(% x) = %d, %d; want %d, %d", tc.in, kind, need, tc.wantKind, tc.wantNeed)
			}
		})
	}
}

// FuzzScanControlFrames: whatever a client sends, the scan never panics,
// asks for more bytes only beyond what it has (and never more than a
// buffer of socketBufferSize can hold once it has 2 bytes of a header),
// and calls bytes whole control frames only when they are.
func FuzzScanControlFrames(f *testing.F) {
	f.Add(testenv.ClientFrame(0xA, []byte("1")))
	f.Add(append(testenv.ClientFrame(0xA, []byte("1")), testenv.ClientFrame(0x1, []byte("{}"))...))
	f.Add(testenv.ClientFrame(0x9, bytes.Repeat([]byte("p"), 125))[:50])
	f.Add([]byte{0x8A})
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, need := scanControlFrames(b)
		switch kind {
		case framesIncomplete:
			if need <= len(b) {
				t.Fatalf("incomplete, yet needs %d of the %d bytes it has", need, len(b))
			}
			if need > len(b)+2+4+125 {
				t.Fatalf("needs %d bytes having %d: more than one control frame", need, len(b))
			}
		case framesControl:
			for off := 0; off < len(b); {
				if b[off]&0x0f < 0x8 || b[off+1]&0x80 == 0 || b[off+1]&0x7f > 125 {
					t.Fatalf("not a control frame at %d: % x", off, b)
				}
				off += 2 + 4 + int(b[off+1]&0x7f)
				if off > len(b) {
					t.Fatalf("a control frame past the end: % x", b)
				}
			}
		case framesData:
			if need != 0 {
				t.Fatalf("data, needing %d", need)
			}
		default:
			t.Fatalf("kind %d", kind)
		}
	})
}
