package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Import paths of the backend plugin commands (binaries envhost-plugin-docker
// and envhost-plugin-podman).
const (
	DockerPluginPackage = "github.com/envhost/envhost/plugins/docker/cmd/envhost-plugin-docker"
	PodmanPluginPackage = "github.com/envhost/envhost/plugins/podman/cmd/envhost-plugin-podman"
)

// PluginPackages returns the import paths of both backend plugin commands.
func PluginPackages() []string {
	return []string{DockerPluginPackage, PodmanPluginPackage}
}

// ModuleRoot returns the directory of the module's go.mod.
func ModuleRoot() (string, error) { return moduleRoot() }

var moduleRoot = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not in a module")
	}
	return filepath.Dir(gomod), nil
})

// built is one build of a package set, shared by the callers asking for it.
type built struct {
	once sync.Once
	dir  string
	err  error
}

var (
	buildsMu sync.Mutex
	builds   = map[string]*built{}
)

// BuildBinaries builds the commands pkgs (import paths, or paths relative to
// the module root such as ./cmd/envhost) into a temporary directory and
// returns it, failing tb if the build fails. See Build.
func BuildBinaries(tb testing.TB, pkgs ...string) string {
	tb.Helper()
	dir, err := Build(pkgs...)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// BuildRaceBinaries is BuildBinaries with -race when the test binary runs
// under the race detector: for tests of the built program itself (a
// race-built plugin is several times slower, so tests that only use one
// build it plainly).
func BuildRaceBinaries(tb testing.TB, pkgs ...string) string {
	tb.Helper()
	dir, err := buildOnce(RaceEnabled, pkgs)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// Build builds the commands pkgs with `go build -o DIR/` from the module
// root and returns DIR. Each distinct set of packages is built once per
// test process; CleanupBinaries (or Main) removes the directories.
func Build(pkgs ...string) (string, error) {
	return buildOnce(false, pkgs)
}

func buildOnce(race bool, pkgs []string) (string, error) {
	key := strings.Join(slices.Sorted(slices.Values(pkgs)), "\x00")
	if race {
		key = "-race\x00" + key
	}
	buildsMu.Lock()
	b := builds[key]
	if b == nil {
		b = &built{}
		builds[key] = b
	}
	buildsMu.Unlock()
	b.once.Do(func() { b.dir, b.err = build(race, pkgs) })
	return b.dir, b.err
}

func build(race bool, pkgs []string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "envhost-testbin-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", strings.Join(pkgs, " "), err)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	return dir, nil
}

// CleanupBinaries removes the directories of every Build so far; a later
// Build builds again.
func CleanupBinaries() {
	buildsMu.Lock()
	defer buildsMu.Unlock()
	for key, b := range builds {
		b.once.Do(func() {}) // wait for a build still running
		if b.dir != "" {
			_ = os.RemoveAll(b.dir)
		}
		delete(builds, key)
	}
}

// Main runs the tests of m, removes the binaries they built and exits with
// their status: a TestMain for packages that use BuildBinaries.
func Main(m *testing.M) {
	code := m.Run()
	CleanupBinaries()
	os.Exit(code)
}
