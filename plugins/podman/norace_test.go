//go:build !race

package podman_test

const raceEnabled = false
