//go:build race

package chatapi_test

// underRace is true when the tests run under the race detector, which
// gives goroutines larger stacks, keeps shadow memory beside the heap and
// slows every memory access: a test that measures memory or throughput
// would measure the detector then, so it does not run under it (`make
// test` runs it without; `make bench` measures with it).
const underRace = true
