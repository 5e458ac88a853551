package pluginhost_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
)

// pluginDir holds envhost-plugin-test, the test plugin built once by TestMain.
var pluginDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	defer testenv.CleanupBinaries()
	dir, err := testenv.Build("github.com/envhost/envhost/sdk/internal/testplugin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the test plugin:", err)
		return 1
	}
	// go build names the binary after its directory; plugins go by envhost-plugin-NAME.
	if err := os.Rename(filepath.Join(dir, "testplugin"), filepath.Join(dir, pluginhost.BinaryName("test"))); err != nil {
		fmt.Fprintln(os.Stderr, "naming the test plugin:", err)
		return 1
	}
	pluginDir = dir
	defer pluginhost.CleanupAll()
	return m.Run()
}
