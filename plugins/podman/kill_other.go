//go:build !linux

package podman

import "errors"

func sameHost(string) error { return errors.New("exec kill by pid needs Linux") }

func killTree(int) error { return errors.New("exec kill by pid needs Linux") }
