package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/envhost/envhost/internal/testenv"
)

const module = "github.com/envhost/envhost"

// build compiles the engine plugins and the two seed examples into one
// directory, which is also the examples' -plugin-dir.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, pkg := range map[string]string{
		"envhost-plugin-docker": module + "/plugins/docker/cmd/envhost-plugin-docker",
		"envhost-plugin-podman": module + "/plugins/podman/cmd/envhost-plugin-podman",
		"restart_deployment":    module + "/examples/restart_deployment",
		"agent_with_restart":    module + "/examples/agent_with_restart",
	} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return dir
}

// runExample runs one example binary against backend and returns its output,
// failing t when it exits non-zero.
func runExample(t *testing.T, bin, backend, pluginDir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-backend", backend, "-plugin-dir", pluginDir,
		"-image-from", testenv.ImagePy311, "-image-to", testenv.ImagePy313)
	cmd.Env = append(os.Environ(), "ENVHOST_BACKEND=") // the flag decides
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s -backend %s: %v\n%s", filepath.Base(bin), backend, time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("%s -backend %s: %v", filepath.Base(bin), backend, err)
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

// TestSeedExamples runs the two examples ported from the seed against
// Docker and Podman: Python 3.11 before the restart, 3.13 after, and the
// uncommitted work carried over by preserve_repo_state.
func TestSeedExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the examples against real engines")
	}
	testenv.UseEngines(t)
	dir := build(t)
	for _, backend := range []string{"docker", "podman"} {
		t.Run(backend+"/restart_deployment", func(t *testing.T) {
			out := runExample(t, filepath.Join(dir, "restart_deployment"), backend, dir)
			wantInOrder(t, out,
				`Initial Python: Python 3\.11\.`,
				`(?m)^\s+M hello\.py$`, `(?m)^\s+\?\? notes\.txt$`,
				`==> restart: image envhost/python:3\.13`,
				`(?m)^\s+snapshot\s+\S+`,
				`(?m)^\s+restore\s+\S+`,
				`restart done in`,
				`New Python: Python 3\.13\.`,
				`(?m)^\s+M hello\.py$`, `(?m)^\s+\?\? notes\.txt$`,
				`hello\.py ends with: print\('edited before the restart'\)`,
				`OK: Python 3\.11\.\d+ -> Python 3\.13\.\d+`,
			)
		})
		t.Run(backend+"/agent_with_restart", func(t *testing.T) {
			out := runExample(t, filepath.Join(dir, "agent_with_restart"), backend, dir)
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
