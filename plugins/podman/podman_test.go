package podman_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/plugins/podman"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
	"github.com/envhost/envhost/sdk/sdktest"
)

// newBackend returns a backend on the test Podman engine.
func newBackend(t testing.TB) *podman.Backend {
	t.Helper()
	host := testenv.ContainerHost(t)
	b, err := podman.New(podman.Options{URI: host, Logger: testLogger()})
	if err != nil {
		t.Fatalf("podman.New(%s): %v", host, err)
	}
	return b
}

func testLogger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "podman", Output: os.Stderr, Level: hclog.Warn})
}

// suiteOptions are the conformance suite's options for the test images.
func suiteOptions() backendtest.Options {
	return backendtest.Options{Image: testenv.ImagePy311}
}

// TestWiring creates a container from each test image and runs Python in it.
func TestWiring(t *testing.T) {
	b := newBackend(t)
	for _, tc := range []struct{ image, want string }{
		{testenv.ImagePy311, "Python 3.11."},
		{testenv.ImagePy313, "Python 3.13."},
	} {
		t.Run(tc.image, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			if _, err := b.EnsureImage(ctx, sdk.ImageRequest{Image: tc.image, Policy: sdk.PullNever}, nil); err != nil {
				t.Fatalf("EnsureImage(%s, never): %v", tc.image, err)
			}
			c, err := b.Create(ctx, sdk.Spec{Image: tc.image})
			if err != nil {
				t.Fatalf("Create(%s): %v", tc.image, err)
			}
			t.Cleanup(func() { remove(t, b, c.ID) })
			var out, errOut bytes.Buffer
			code, err := b.Exec(ctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"python3", "--version"}},
				sdk.ExecIO{Stdout: &out, Stderr: &errOut})
			if err != nil || code != 0 {
				t.Fatalf("python3 --version: code %d, err %v, stderr %q", code, err, errOut.String())
			}
			if got := strings.TrimSpace(out.String() + errOut.String()); !strings.HasPrefix(got, tc.want) {
				t.Errorf("python3 --version in %s = %q, want %s*", tc.image, got, tc.want)
			}
		})
	}
}

// TestConformance runs the conformance suite against Podman, in process.
func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) sdk.Backend { return newBackend(t) }, suiteOptions())
}

// TestConformanceGRPC runs the suite through the real gRPC transport, in
// process.
func TestConformanceGRPC(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) sdk.Backend {
		return sdktest.InProcess(t, newBackend(t))
	}, suiteOptions())
}

func remove(t testing.TB, b sdk.Backend, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Remove(ctx, id, sdk.RemoveOptions{}); err != nil {
		t.Errorf("Remove(%s): %v", id, err)
	}
}
