package docker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/plugins/docker"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
	"github.com/envhost/envhost/sdk/sdktest"
)

// newBackend connects a docker backend to the test engine.
func newBackend(t testing.TB) *docker.Backend {
	t.Helper()
	host := testenv.DockerHost(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := docker.New(ctx, docker.Options{Host: host})
	if err != nil {
		t.Fatalf("docker.New(%s): %v", host, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

var suiteOpts = backendtest.Options{
	Image:        testenv.ImagePy311,
	MissingImage: "envhost.invalid/no-such-image:0",
	Parallel:     true,
}

func TestConformanceDirect(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) sdk.Backend { return newBackend(t) }, suiteOpts)
}

func TestConformanceGRPC(t *testing.T) {
	opts := suiteOpts
	if testenv.RaceEnabled {
		// Both ends of the gRPC transport run race-instrumented in this
		// process (a few MB/s); TestConformancePlugin moves the full sizes
		// through the same transport.
		opts.Short = true
		t.Log("race detector on: short payloads for the in-process gRPC run")
	}
	backendtest.Run(t, func(t *testing.T) sdk.Backend { return sdktest.InProcess(t, newBackend(t)) }, opts)
}

func TestImagesRunTheirPython(t *testing.T) {
	b := newBackend(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for img, want := range map[string]string{testenv.ImagePy311: "Python 3.11.", testenv.ImagePy313: "Python 3.13."} {
		t.Run(img, func(t *testing.T) {
			c, err := b.Create(ctx, sdk.Spec{Image: img})
			if err != nil {
				t.Fatalf("Create(%s): %v", img, err)
			}
			t.Cleanup(func() { _ = b.Remove(context.Background(), c.ID, sdk.RemoveOptions{}) })
			var out strings.Builder
			code, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"python3", "--version"}}, sdk.ExecIO{Stdout: &out, Stderr: &out})
			if err != nil || code != 0 {
				t.Fatalf("python3 --version: code %d, err %v, output %q", code, err, out.String())
			}
			if !strings.HasPrefix(out.String(), want) {
				t.Errorf("python3 --version in %s = %q, want %s*", img, out.String(), want)
			}
		})
	}
}

func TestNewUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := docker.New(ctx, docker.Options{Host: "unix://" + t.TempDir() + "/no.sock"})
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("New with no engine: %v (class %v), want ErrUnavailable", err, sdk.Class(err))
	}
	u := docker.Unusable(err)
	if _, err := u.Info(ctx); !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("Unusable.Info: %v", err)
	}
}
