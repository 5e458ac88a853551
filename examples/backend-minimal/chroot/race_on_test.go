//go:build race

package chroot_test

// raceEnabled: under the race detector, the suite's hashing and tar work
// runs ~10x slower, so the conformance runs use the short payload sizes.
const raceEnabled = true
