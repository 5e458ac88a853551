//go:build !race

package testenv

// RaceEnabled reports whether the test binary runs under the race detector.
const RaceEnabled = false
