package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/envhost/envhost/examples/backend-minimal/chroot"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

const module = "github.com/envhost/envhost"

// build compiles the engine plugins, the chroot example plugin and the two
// seed examples, once, into one directory: the examples' -plugin-dir.
func build(t *testing.T) string {
	t.Helper()
	return testenv.BuildBinaries(t, append(testenv.PluginPackages(),
		module+"/examples/backend-minimal/cmd/envhost-plugin-chroot",
		module+"/examples/restart_deployment",
		module+"/examples/agent_with_restart",
	)...)
}

// TestMain removes the binaries built for the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// runExample runs one example binary and returns its output, failing t
// when it exits non-zero.
func runExample(t *testing.T, bin string, args []string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append(os.Environ(), "ENVHOST_BACKEND="), env...) // the flags decide
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s %v: %v\n%s", filepath.Base(bin), args, time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("%s %v: %v", filepath.Base(bin), args, err)
	}
	return string(out)
}

// wantInOrder fails t unless the patterns match out, each after the last.
func wantInOrder(t *testing.T, out string, patterns ...string) {
	t.Helper()
	rest := out
	for _, p := range patterns {
		loc := regexp.MustCompile(p).FindStringIndex(rest)
		if loc == nil {
			t.Errorf("output lacks %q (in this order)", p)
			return
		}
		rest = rest[loc[1]:]
	}
}

// wantRestartDeployment checks restart_deployment's story: Python 3.11 and
// the uncommitted work, the restart with its snapshot and restore steps,
// then Python 3.13 and the same work.
func wantRestartDeployment(t *testing.T, out string) {
	t.Helper()
	wantInOrder(t, out,
		`Initial Python: Python 3\.11\.`,
		`(?m)^\s+M hello\.py$`, `(?m)^\s+\?\? notes\.txt$`,
		`==> restart: image \S+`,
		`(?m)^\s+snapshot\s+\S+`,
		`(?m)^\s+restore\s+\S+`,
		`restart done in`,
		`New Python: Python 3\.13\.`,
		`(?m)^\s+M hello\.py$`, `(?m)^\s+\?\? notes\.txt$`,
		`hello\.py ends with: print\('edited before the restart'\)`,
		`OK: Python 3\.11\.\d+ -> Python 3\.13\.\d+`,
	)
}

// TestSeedExamples runs the two examples ported from the seed against
// Docker and Podman: Python 3.11 before the restart, 3.13 after, and the
// uncommitted work carried over by preserve_repo_state.
func TestSeedExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the examples against real engines")
	}
	testenv.UseEngines(t)
	dir := build(t)
	for _, backend := range []string{"docker", "podman"} {
		args := []string{"-backend", backend, "-plugin-dir", dir, "-image-from", testenv.ImagePy311, "-image-to", testenv.ImagePy313}
		t.Run(backend+"/restart_deployment", func(t *testing.T) {
			wantRestartDeployment(t, runExample(t, filepath.Join(dir, "restart_deployment"), args))
		})
		t.Run(backend+"/agent_with_restart", func(t *testing.T) {
			out := runExample(t, filepath.Join(dir, "agent_with_restart"), args)
			wantInOrder(t, out,
				`Python 3\.11\.`,
				`needs_python_3_13: restarting on envhost/python:3\.13`,
				`running on 3\.13\.`,
				`(?m)^\s+M hello\.py$`, `(?m)^\s+\?\? check\.py$`,
				`Summary:`,
				`run the check on Python 3\.13\s+envhost/python:3\.13\s+exit 0.*restarted: needs_python_3_13`,
			)
		})
	}
}

// TestSeedExampleOnChroot runs restart_deployment on the third-party
// example backend (examples/backend-minimal), found as a plugin like any
// other: bookworm's root file system, then trixie's. It needs root and the
// tarballs scripts/images.sh caches; without them it skips, or fails in CI.
func TestSeedExampleOnChroot(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs an example on the chroot backend")
	}
	need := t.Skipf
	if testenv.InCI() {
		need = t.Fatalf
	}
	if os.Geteuid() != 0 {
		need("the chroot backend needs root")
	}
	cache := os.Getenv("ENVHOST_CACHE_DIR")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "envhost")
	}
	from, to := filepath.Join(cache, "rootfs-bookworm.tar"), filepath.Join(cache, "rootfs-trixie.tar")
	for _, tarball := range []string{from, to} {
		if _, err := os.Stat(tarball); err != nil {
			need("root-filesystem tarball missing: %v; build it with `scripts/images.sh rootfs`", err)
		}
	}
	dir := build(t)
	// On tmpfs where there is one: the backend extracts both tarballs there.
	parent := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		parent = "/dev/shm"
	}
	state, err := os.MkdirTemp(parent, "envhost-chroot-example-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Containers a failed run left behind are mounts: remove them first.
		b, err := chroot.New(chroot.Options{StateDir: state})
		if err != nil {
			t.Error(err)
			return
		}
		ids, _ := b.List(context.Background())
		for _, id := range ids {
			t.Errorf("the example left container %s behind", id)
			if err := b.Remove(context.Background(), id, sdk.RemoveOptions{}); err != nil {
				t.Error(err)
				return
			}
		}
		_ = os.RemoveAll(state)
	})
	out := runExample(t, filepath.Join(dir, "restart_deployment"),
		[]string{"-backend", "chroot", "-plugin-dir", dir, "-image-from", from, "-image-to", to},
		"ENVHOST_CHROOT_DIR="+state)
	wantRestartDeployment(t, out)
}
