package main

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// samples collects latencies in milliseconds.
type samples struct {
	mu sync.Mutex
	v  []float64
}

func newSamples() *samples { return &samples{} }

func (s *samples) add(ms float64) {
	s.mu.Lock()
	s.v = append(s.v, ms)
	s.mu.Unlock()
}

// pct returns the p-th percentile (100: the maximum); 0 with no samples.
func (s *samples) pct(p float64) float64 {
	s.mu.Lock()
	v := slices.Clone(s.v)
	s.mu.Unlock()
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	i := int(p / 100 * float64(len(v)-1))
	return v[i]
}

// slowMs is the delivery time above which loadgen counts a delivery as
// slow: the half run's p99 target.
const slowMs = 20

// clusters reads the samples as times in ms and returns how many there
// are, how many windows of window ms hold any, and the most that one span
// of span ms holds.
func (s *samples) clusters(window, span float64) (n, windows, most int) {
	s.mu.Lock()
	v := slices.Clone(s.v)
	s.mu.Unlock()
	slices.Sort(v)
	j := 0
	for i, t := range v {
		if i == 0 || int64(t/window) != int64(v[i-1]/window) {
			windows++
		}
		for v[j] <= t-span {
			j++
		}
		most = max(most, i-j+1)
	}
	return len(v), windows, most
}

// rssMiB reads a process's resident set size.
func rssMiB(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// cpuSeconds reads a process's user+system CPU time.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks; 100 per second on Linux
}
