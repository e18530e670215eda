package main

import "testing"

func TestClustersTellsAStallFromASpread(t *testing.T) {
	for _, c := range []struct {
		name               string
		times              []float64 // ms
		n, windows, inOneS int
	}{
		{"none", nil, 0, 0, 0},
		{"one", []float64{5}, 1, 1, 1},
		{"a stall: all in 250 ms", []float64{1000, 1010, 1099, 1100, 1180, 1250}, 6, 3, 6},
		{"spread over seconds, one a second", []float64{0, 1000, 2000, 3000}, 4, 4, 1},
		{"unordered, a second's edge excluded", []float64{2999, 1000, 1500, 2000}, 4, 4, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSamples()
			for _, v := range c.times {
				s.add(v)
			}
			n, w, most := s.clusters(100, 1000)
			if n != c.n || w != c.windows || most != c.inOneS {
				t.Errorf("clusters = %d, %d, %d; want %d, %d, %d", n, w, most, c.n, c.windows, c.inOneS)
			}
		})
	}
}
