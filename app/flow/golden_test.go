package flow

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt from the current engine")

const (
	goldenCases = 10_000
	goldenFile  = "testdata/golden.txt"
)

// goldenRecord is one Run's result as hashed: input, new state, outputs
// and error.
type goldenRecord struct {
	In      Input    `json:"in"`
	State   State    `json:"state"`
	Outputs []Output `json:"outputs"`
	Error   string   `json:"error,omitempty"`
}

// playGoldenCase generates case i from its own seeded PCG and runs it,
// giving each Run's record to visit.
func playGoldenCase(t testing.TB, i int, begin func(f *Flow, env Env), visit func(goldenRecord)) {
	r := rand.New(rand.NewPCG(uint64(i), 0x68616c6f63686174)) // "halochat"
	f := genFlow(r)
	env := genEnv(r)
	begin(f, env)
	p, err := Compile(f, testSchema())
	if err != nil {
		doc, _ := Marshal(f)
		t.Fatalf("case %d: the generator made an invalid flow: %v\n%s", i, err, doc)
	}
	var st State
	for range 4 + r.IntN(9) {
		if st.Status == StatusEnded && r.IntN(4) > 0 {
			break // one input after the end now and then is enough
		}
		in := genInput(r, f, st)
		next, outs, err := p.Run(env, st, in)
		rec := goldenRecord{In: in, State: next, Outputs: outs}
		if err != nil {
			rec.Error = err.Error()
		}
		visit(rec)
		st = next
	}
}

// goldenCase returns the first 16 hex digits of the SHA-256 of case i's
// canonical transcript: the flow, the env and every Run's record, each
// as JSON (encoding/json sorts map keys, so this is deterministic).
func goldenCase(t testing.TB, i int) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	must := func(err error) {
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	playGoldenCase(t, i, func(f *Flow, env Env) {
		must(enc.Encode(f))
		must(enc.Encode(env))
	}, func(rec goldenRecord) { must(enc.Encode(rec)) })
	return fmt.Sprintf("%x", h.Sum(nil)[:8])
}

// TestGolden runs 10,000 generated flows with generated inputs and
// compares a hash of each transcript with testdata/golden.txt. The file
// is written natively (go test ./app/flow -run Golden -update) and the
// test also runs under js/wasm: passing there proves the engine gives
// byte-identical results in the browser and on the server.
func TestGolden(t *testing.T) {
	var b bytes.Buffer
	for i := range goldenCases {
		fmt.Fprintf(&b, "%05d %s\n", i, goldenCase(t, i))
	}
	if *update {
		if err := os.WriteFile(goldenFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./app/flow -run Golden -update)", err)
	}
	if bytes.Equal(b.Bytes(), want) {
		return
	}
	got, wantLines := strings.Split(b.String(), "\n"), strings.Split(string(want), "\n")
	bad := 0
	for i := range max(len(got), len(wantLines)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			if bad < 10 {
				t.Errorf("line %d: got %q, want %q", i+1, g, w)
			}
			bad++
		}
	}
	t.Fatalf("%d of %d cases differ from %s (if the change is intended: go test ./app/flow -run Golden -update; then see a case with TestGoldenShow)", bad, goldenCases, goldenFile)
}

var showCase = flag.Int("case", -1, "TestGoldenShow prints this golden case's transcript")

// TestGoldenShow prints one golden case's flow and transcript, to debug
// a difference: go test ./app/flow -run GoldenShow -case 123 -v
func TestGoldenShow(t *testing.T) {
	if *showCase < 0 {
		t.Skip("no -case given")
	}
	playGoldenCase(t, *showCase, func(f *Flow, env Env) {
		doc, _ := Marshal(f)
		envJSON, _ := json.Marshal(env)
		t.Logf("flow:\n%s\nenv: %s", doc, envJSON)
	}, func(rec goldenRecord) {
		b, _ := json.Marshal(rec)
		t.Logf("%s", b)
	})
}
