//go:build !race

package chatapi_test

// underRace: see race_test.go.
const underRace = false
