// Package testenv finds the real container engines and test images that the
// project's scripts (scripts/engines.sh, scripts/images.sh) bring up. A test that
// needs an engine asks for it here: outside CI a missing engine skips the test
// with a message saying how to start it; with CI=true it fails.
package testenv

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// Test images built by scripts/images.sh in both engines.
const (
	ImagePy311 = "envhost/python:3.11" // Debian bookworm: Python 3.11, git, bash
	ImagePy313 = "envhost/python:3.13" // Debian trixie: Python 3.13, git, bash
)

// Default sockets of the private engines started by scripts/engines.sh.
const (
	DefaultDockerHost    = "unix:///run/envhost-engines/docker.sock"
	DefaultContainerHost = "unix:///run/envhost-engines/podman.sock"
)

const startHint = "start the engines with `make engines` (or: eval \"$(scripts/engines.sh env)\")"

// InCI reports whether the tests run in CI, where a missing engine is a failure.
func InCI() bool { return os.Getenv("CI") == "true" }

// DockerHost returns the Docker engine address for tests (DOCKER_HOST, else the
// private engine's socket), skipping or failing t when nothing answers there.
func DockerHost(t testing.TB) string {
	t.Helper()
	return need(t, "Docker", "DOCKER_HOST", DefaultDockerHost)
}

// ContainerHost returns the Podman API address for tests (CONTAINER_HOST, else
// the private engine's socket), skipping or failing t when nothing answers there.
func ContainerHost(t testing.TB) string {
	t.Helper()
	return need(t, "Podman", "CONTAINER_HOST", DefaultContainerHost)
}

// UseEngines points DOCKER_HOST and CONTAINER_HOST (for this test and the
// processes it starts) at the test engines, skipping or failing when either is
// missing.
func UseEngines(t *testing.T) {
	t.Helper()
	t.Setenv("DOCKER_HOST", DockerHost(t))
	t.Setenv("CONTAINER_HOST", ContainerHost(t))
}

func need(t testing.TB, engine, envVar, def string) string {
	t.Helper()
	host := os.Getenv(envVar)
	if host == "" {
		host = def
	}
	if err := ping(host); err != nil {
		if InCI() {
			t.Fatalf("%s engine needed but not answering at %s (%s): %v", engine, host, envVar, err)
		}
		t.Skipf("%s engine not answering at %s: %v; %s", engine, host, err, startHint)
	}
	return host
}

// ping dials a unix or tcp engine address. ssh addresses are assumed reachable.
func ping(host string) error {
	u, err := url.Parse(host)
	if err != nil {
		return err
	}
	var network, addr string
	switch u.Scheme {
	case "unix":
		network, addr = "unix", u.Path
	case "tcp", "http":
		network, addr = "tcp", u.Host
	default:
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// An HTTP ping proves an engine, not just a stale socket file.
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write([]byte("GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil && n == 0 {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.") {
		return &net.AddrError{Err: "not an engine API", Addr: addr}
	}
	return nil
}
