package podman_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
)

// TestMain removes the plugin binary built for the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// pluginBinary builds cmd/envhost-plugin-podman once and returns its path.
func pluginBinary(t testing.TB) string {
	t.Helper()
	return filepath.Join(testenv.BuildRaceBinaries(t, testenv.PodmanPluginPackage), pluginhost.BinaryName(podmanName))
}

const podmanName = "podman"

// launchPlugin starts the real plugin process on the test engine and stops it
// when t ends.
func launchPlugin(t testing.TB, host string) *pluginhost.Plugin {
	t.Helper()
	path := pluginBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := pluginhost.Launch(ctx, podmanName, pluginhost.Options{
		Path:   path,
		Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn}),
		Env:    []string{"CONTAINER_HOST=" + host},
	})
	if err != nil {
		t.Fatalf("pluginhost.Launch(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestConformancePlugin runs the suite against the real plugin process,
// launched by the host's plugin launcher.
func TestConformancePlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and launches the plugin binary; skipped with -short")
	}
	host := testenv.ContainerHost(t)
	backendtest.Run(t, func(t *testing.T) sdk.Backend { return launchPlugin(t, host) }, suiteOptions())
}

// TestPluginInfo checks the plugin reports itself and the engine.
func TestPluginInfo(t *testing.T) {
	host := testenv.ContainerHost(t)
	p := launchPlugin(t, host)
	i, err := p.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if i.Name != podmanName || i.EngineVersion == "" {
		t.Errorf("Info = %+v", i)
	}
}
