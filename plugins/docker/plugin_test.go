package docker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/backendtest"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
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

// launchPlugin starts the plugin binary as a real go-plugin process talking
// to the test engine and returns the host's side of it.
func launchPlugin(tb testing.TB) sdk.Backend {
	tb.Helper()
	host := testenv.DockerHost(tb)
	dir := pluginBinary(tb)
	cmd := exec.Command(filepath.Join(dir, "envhost-plugin-docker"))
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPlugins,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  sdk.GRPCDialOptions(),
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr}),
	})
	tb.Cleanup(c.Kill)
	rpc, err := c.Client()
	if err != nil {
		tb.Fatalf("starting the plugin: %v", err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		tb.Fatalf("dispensing the backend: %v", err)
	}
	b, ok := raw.(sdk.Backend)
	if !ok {
		tb.Fatalf("plugin dispensed %T, not an sdk.Backend", raw)
	}
	if _, err := b.Info(context.Background()); err != nil {
		tb.Fatalf("plugin Info: %v", err)
	}
	return b
}

func TestConformancePlugin(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) sdk.Backend { return launchPlugin(t) }, suiteOpts)
}
