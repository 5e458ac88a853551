package podman

import (
	"net/url"
	"os"
	"path/filepath"

	"github.com/envhost/envhost/sdk"
)

// RootfulSocket is where a rootful Podman API service listens by default.
const RootfulSocket = "/run/podman/podman.sock"

// env is the part of the process environment that discovery reads.
type env interface {
	Getenv(key string) string
	Exists(path string) bool
}

type osEnv struct{}

func (osEnv) Getenv(key string) string { return os.Getenv(key) }

func (osEnv) Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// DiscoverURI finds the Podman engine the way podman --remote does:
// CONTAINER_HOST when set, else the rootful socket when it exists, else the
// rootless socket under XDG_RUNTIME_DIR when it exists. With none of them it
// returns an sdk.ErrUnavailable error listing what it tried.
func DiscoverURI(e env) (string, error) {
	if h := e.Getenv("CONTAINER_HOST"); h != "" {
		return h, nil
	}
	tried := []string{"CONTAINER_HOST (unset)", RootfulSocket}
	if e.Exists(RootfulSocket) {
		return "unix://" + RootfulSocket, nil
	}
	if dir := e.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		p := filepath.Join(dir, "podman", "podman.sock")
		if e.Exists(p) {
			return "unix://" + p, nil
		}
		tried = append(tried, p)
	} else {
		tried = append(tried, "$XDG_RUNTIME_DIR/podman/podman.sock (XDG_RUNTIME_DIR unset)")
	}
	return "", sdk.Errorf(sdk.ErrUnavailable,
		"podman: no Podman API socket found (tried %v); start one with `podman system service --time=0` or set CONTAINER_HOST", tried)
}

// checkURI rejects addresses the bindings cannot use.
func checkURI(uri string) error {
	u, err := url.Parse(uri)
	if err != nil {
		return sdk.Errorf(sdk.ErrInvalidArgument, "podman: engine address %q: %v", uri, err)
	}
	switch u.Scheme {
	case "unix", "ssh", "tcp":
		return nil
	}
	return sdk.Errorf(sdk.ErrInvalidArgument,
		"podman: engine address %q: scheme %q not supported (want unix://, ssh:// or tcp://)", uri, u.Scheme)
}
