package pluginhost_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/envhost/envhost/core/pluginhost"
)

// pluginDir holds envhost-plugin-test, the test plugin built once by TestMain.
var pluginDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "envhost-pluginhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	gobin, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "go tool not found:", err)
		return 1
	}
	out := filepath.Join(dir, pluginhost.BinaryName("test"))
	build := exec.Command(gobin, "build", "-o", out, "github.com/envhost/envhost/sdk/internal/testplugin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test plugin:", err)
		return 1
	}
	pluginDir = dir
	defer pluginhost.CleanupAll()
	return m.Run()
}
