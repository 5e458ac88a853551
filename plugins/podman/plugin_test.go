package podman_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
)

// The plugin binary, built once per test run into a temporary directory
// (with -race when the tests run with it).
var (
	pluginOnce sync.Once
	pluginPath string
	pluginErr  error
	pluginDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginDir != "" {
		_ = os.RemoveAll(pluginDir)
	}
	os.Exit(code)
}

// pluginBinary builds cmd/envhost-plugin-podman once and returns its path.
func pluginBinary(t testing.TB) string {
	t.Helper()
	pluginOnce.Do(func() {
		pluginDir, pluginErr = os.MkdirTemp("", "envhost-podman-plugin-")
		if pluginErr != nil {
			return
		}
		pluginPath = filepath.Join(pluginDir, pluginhost.BinaryName(podmanName))
		args := []string{"build", "-o", pluginPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "github.com/envhost/envhost/plugins/podman/cmd/envhost-plugin-podman")
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			pluginErr = fmt.Errorf("go %v: %v\n%s", args, err, out)
		}
	})
	if pluginErr != nil {
		t.Fatalf("building the plugin: %v", pluginErr)
	}
	return pluginPath
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
