//go:build !linux

package docker

import "errors"

// engineProcessesVisible is false off Linux: exec processes cannot be killed.
func engineProcessesVisible(string) bool { return false }

func killTree(int, string) (int, error) {
	return 0, errors.New("killing exec processes needs Linux")
}
