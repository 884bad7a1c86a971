//go:build linux && !race

package reliability

// raceEnabled reports whether the tests run with the race detector, which
// slows the clients of the load test.
const raceEnabled = false
