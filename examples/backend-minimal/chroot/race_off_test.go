//go:build !race

package chroot_test

const raceEnabled = false
