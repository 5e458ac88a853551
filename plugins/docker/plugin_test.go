package docker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
	"github.com/hashicorp/go-hclog"
)

// TestMain removes the plugin binary built for the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// pluginBinary builds cmd/envhost-plugin-docker once per test binary and
// returns the directory holding it.
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	return testenv.BuildBinaries(tb, testenv.DockerPluginPackage)
}

// launchPlugin starts the plugin binary as a real plugin process through
// core/pluginhost, talking to the test engine, and returns it.
func launchPlugin(tb testing.TB) sdk.Backend {
	tb.Helper()
	host := testenv.DockerHost(tb)
	dir := pluginBinary(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := pluginhost.Launch(ctx, "docker", pluginhost.Options{
		Dirs:   []string{dir},
		Env:    []string{"DOCKER_HOST=" + host},
		Logger: hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr}),
	})
	if err != nil {
		tb.Fatalf("launching the docker plugin: %v", err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	if got := p.Path(); got != filepath.Join(dir, "envhost-plugin-docker") {
		tb.Fatalf("launched %s, not the freshly built plugin", got)
	}
	return p
}

func TestConformancePlugin(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) sdk.Backend { return launchPlugin(t) }, suiteOpts)
}
