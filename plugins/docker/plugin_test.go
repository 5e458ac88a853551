package docker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
	"github.com/hashicorp/go-hclog"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// TestMain removes the plugin binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// pluginBinary builds cmd/envhost-plugin-docker once per test binary and
// returns the directory holding it.
func pluginBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "envhost-docker-plugin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "envhost-plugin-docker"), "./cmd/envhost-plugin-docker")
		cmd.Stderr = os.Stderr
		buildErr = cmd.Run()
	})
	if buildErr != nil {
		tb.Fatalf("building the plugin: %v", buildErr)
	}
	return binDir
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
