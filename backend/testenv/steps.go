package testenv

import "testing"

// Step is one named step of a test whose steps run in order on one
// environment E, each meeting what the earlier ones left (users, items,
// a clock moved on).
type Step[E any] struct {
	Name string
	Run  func(*testing.T, E)
}

// RunSteps runs steps in order, each as a subtest of t on env.
func RunSteps[E any](t *testing.T, env E, steps []Step[E]) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.Name, func(t *testing.T) { s.Run(t, env) })
	}
}
