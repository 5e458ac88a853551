package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// TestPluginCrash kills the backend plugin process while a command runs in
// an environment: the command fails at once with an ErrUnavailable error
// naming the plugin, and the environment recovers (a restart or hard reset
// relaunches the plugin) or closes without leaking a container.
func TestPluginCrash(t *testing.T) {
	needEngines(t)
	for _, backend := range engines {
		t.Run(backend, func(t *testing.T) {
			t.Run("Close", func(t *testing.T) {
				e := crashEnv(t, backend)
				crashMidCommand(t, e, backend)
				crashCloseLeavesNothing(t, e, backend)
			})
			t.Run("RestartWithImage", func(t *testing.T) {
				e := crashEnv(t, backend)
				old := e.ContainerID()
				crashMidCommand(t, e, backend)
				start := time.Now()
				if err := e.RestartWithImage(context.Background(), testenv.ImagePy311, false); err != nil {
					t.Fatalf("RestartWithImage after the crash: %v", err)
				}
				t.Logf("RestartWithImage after the crash took %s", time.Since(start).Round(time.Millisecond))
				crashRecovered(t, e, backend, old)
				crashCloseLeavesNothing(t, e, backend)
			})
			t.Run("HardReset", func(t *testing.T) {
				e := crashEnv(t, backend)
				old := e.ContainerID()
				crashMidCommand(t, e, backend)
				start := time.Now()
				if err := e.HardReset(context.Background()); err != nil {
					t.Fatalf("HardReset after the crash: %v", err)
				}
				t.Logf("HardReset after the crash took %s", time.Since(start).Round(time.Millisecond))
				crashRecovered(t, e, backend, old)
				crashCloseLeavesNothing(t, e, backend)
			})
		})
	}
}

// crashEnv starts an environment with a repository on backend. Whatever
// the test's outcome, the engine is cleared of its containers afterwards.
func crashEnv(t *testing.T, backend string) *Environment {
	t.Helper()
	repo, _ := gitRepo(t)
	cfg := realConfig(t, backend, &RepoConfig{Path: repo})
	t.Cleanup(func() {
		for _, id := range crashContainers(t, backend, cfg.Name) {
			_, _ = crashEngineCLI(backend, "rm", "-f", id)
		}
	})
	e, _ := startReal(t, cfg)
	return e
}

// crashMidCommand runs a long command in e's default session, kills the
// backend plugin process while it runs, and checks the command, and the
// next one, fail at once with an sdk.ErrUnavailable error naming the
// plugin.
func crashMidCommand(t *testing.T, e *Environment, backend string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const marker = "/tmp/envhost-crash-started"
	type result struct {
		res Result
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		res, err := e.Communicate(ctx, "touch "+marker+" && sleep 600", CommunicateOptions{Timeout: 10 * time.Minute})
		done <- result{res, err, time.Now()}
	}()
	id := e.ContainerID()
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := crashEngineCLI(backend, "exec", id, "test", "-e", marker); err == nil {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the command ended before the kill: %+v, %v", r.res, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the command never started")
		}
		time.Sleep(100 * time.Millisecond)
	}

	pid := crashPluginPid(t, backend)
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill plugin %s (pid %d): %v", backend, pid, err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Communicate still blocked 15s after the plugin was killed")
	}
	d := r.at.Sub(killed)
	t.Logf("Communicate returned %s after SIGKILL of the %s plugin: %v", d.Round(time.Millisecond), backend, r.err)
	if d > 5*time.Second {
		t.Errorf("Communicate took %s to return after the plugin died", d)
	}
	crashCheckErr(t, "Communicate", backend, r.err)

	_, err := e.Communicate(ctx, "echo hi", CommunicateOptions{Timeout: time.Minute})
	crashCheckErr(t, "a later Communicate", backend, err)
}

// crashCheckErr asserts err is the error of a call to the dead plugin.
func crashCheckErr(t *testing.T, what, backend string, err error) {
	t.Helper()
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("%s: %v (class %v), want sdk.ErrUnavailable", what, err, sdk.Class(err))
		return
	}
	if want := fmt.Sprintf("plugin %q", backend); !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %q does not name the plugin (%s)", what, err, want)
	}
}

// crashRecovered checks e works again after a recovery from the crash, in
// a new container, with the old one gone from the engine.
func crashRecovered(t *testing.T, e *Environment, backend, old string) {
	t.Helper()
	if e.State() != StateRunning {
		t.Errorf("state %s after recovery", e.State())
	}
	if got := sh(t, e, "echo ok"); got != "ok" {
		t.Errorf("echo ok: %q", got)
	}
	if got := sh(t, e, "git status --porcelain; pwd"); got != "/myrepo" {
		t.Errorf("repository after recovery: %q", got)
	}
	cur := e.ContainerID()
	if cur == old {
		t.Errorf("still on the old container %s", shortID(old))
	}
	ids := crashContainers(t, backend, e.Name())
	if len(ids) != 1 || !strings.HasPrefix(cur, ids[0]) {
		t.Errorf("containers of the environment in the engine: %v; want only the current one %s (the old one was %s)",
			ids, shortID(cur), shortID(old))
	}
}

// crashCloseLeavesNothing closes e and checks neither a container of it
// nor a plugin process is left.
func crashCloseLeavesNothing(t *testing.T, e *Environment, backend string) {
	t.Helper()
	start := time.Now()
	if err := e.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %s", time.Since(start).Round(time.Millisecond))
	if ids := crashContainers(t, backend, e.Name()); len(ids) > 0 {
		t.Errorf("containers of %s left in the %s engine after Close: %v", e.Name(), backend, ids)
	}
	if pids := crashPluginPids(t, backend); len(pids) > 0 {
		t.Errorf("%s plugin processes left after Close: %v", backend, pids)
	}
}

// crashContainers lists, through the engine's CLI, the (short) ids of the
// containers carrying the labels of environment name, running or not.
func crashContainers(t *testing.T, backend, name string) []string {
	t.Helper()
	out, err := crashEngineCLI(backend, "ps", "-a", "-q", "--no-trunc",
		"--filter", "label="+sdk.LabelManaged+"=true", "--filter", "label="+sdk.LabelEnv+"="+name)
	if err != nil {
		t.Fatalf("list containers of %s: %v", name, err)
	}
	var ids []string
	for _, id := range strings.Fields(out) {
		ids = append(ids, shortID(id))
	}
	return ids
}

// crashEngineCLI runs the docker or podman CLI on the test engine (see
// testenv.UseEngines) and returns its output.
func crashEngineCLI(backend string, args ...string) (string, error) {
	var cmd *exec.Cmd
	switch backend {
	case "docker":
		cmd = exec.Command("docker", append([]string{"-H", os.Getenv("DOCKER_HOST")}, args...)...)
	case "podman":
		cmd = exec.Command("podman", append([]string{"--url", os.Getenv("CONTAINER_HOST")}, args...)...)
	default:
		return "", fmt.Errorf("no CLI for backend %q", backend)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", backend, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// crashPluginPid returns the pid of the one running plugin process of
// backend. The Environment does not expose it: the process is the child of
// this test process running the plugin binary built by plugins().
func crashPluginPid(t *testing.T, backend string) int {
	t.Helper()
	pids := crashPluginPids(t, backend)
	if len(pids) != 1 {
		t.Fatalf("%d %s plugin processes (%v), want 1", len(pids), backend, pids)
	}
	return pids[0]
}

// crashPluginPids lists the live (not zombie) child processes of this
// process whose executable is the plugin binary of backend.
func crashPluginPids(t *testing.T, backend string) []int {
	t.Helper()
	bin := filepath.Join(plugins(t), pluginhost.BinaryName(backend))
	if real, err := filepath.EvalSymlinks(bin); err == nil {
		bin = real
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list processes: %v", err)
	}
	self := os.Getpid()
	var pids []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[0] == "Z" || f[1] != strconv.Itoa(self) {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", ent.Name(), "exe")); err == nil && exe == bin {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}
