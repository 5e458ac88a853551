package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// binDir holds the envhost and plugin binaries built by TestMain ("" in
// -short mode, where the end-to-end scripts do not run).
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		defer testenv.CleanupBinaries()
		if testing.Short() {
			return m.Run()
		}
		dir, err := testenv.Build(append([]string{"./cmd/envhost"}, testenv.PluginPackages()...)...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		// Readable by all, so scripts may run envhost as an unprivileged user.
		if err := os.Chmod(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		binDir = dir
		os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		defer killLeftovers(dir)
		return m.Run()
	}()
	os.Exit(code)
}

// killLeftovers kills processes still running a binary of dir: plugin
// processes orphaned when a script killed their envhost with SIGKILL (the
// plugins do not notice their host's death).
func killLeftovers(dir string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, exe := range procs {
		target, err := os.Readlink(exe)
		if err != nil || !strings.HasPrefix(target, dir+"/") {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(exe, "/proc/%d/exe", &pid); err == nil && pid != os.Getpid() {
			fmt.Fprintf(os.Stderr, "killing leftover process %d (%s)\n", pid, target)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestScripts runs testdata/script/*.txtar against the built binaries, once
// per engine: $BACKEND is docker or podman (conditions [docker], [podman]),
// $ENGINEVAR its address variable (DOCKER_HOST, CONTAINER_HOST) and
// $ENGINEHOST the address, $WORK/env.yaml is the backend's
// example config (examples/<backend>.yaml) with a unique name ($ENVNAME), and
// $WORK/demo-repo is the git repository it names.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end scripts need engines and built binaries; not in -short mode")
	}
	testenv.UseEngines(t)
	for _, backend := range []string{"docker", "podman"} {
		t.Run(backend, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir:                 "testdata/script",
				RequireExplicitExec: false,
				Setup:               func(env *testscript.Env) error { return setupScript(env, backend) },
				// [docker] / [podman]: the engine this run is for; [root]: running as root.
				Condition: func(cond string) (bool, error) {
					switch cond {
					case "docker", "podman":
						return cond == backend, nil
					case "root":
						return os.Geteuid() == 0, nil
					}
					return false, fmt.Errorf("unknown condition %q", cond)
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"containers": cmdContainers,
				},
				Deadline: time.Now().Add(15 * time.Minute),
			})
		})
	}
}

func setupScript(env *testscript.Env, backend string) error {
	for _, k := range []string{"DOCKER_HOST", "CONTAINER_HOST", "CONTAINERS_CONF", "CI"} {
		if v := os.Getenv(k); v != "" {
			env.Setenv(k, v)
		}
	}
	env.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	env.Setenv("BINDIR", binDir)
	env.Setenv("BACKEND", backend)
	engineVar := map[string]string{"docker": "DOCKER_HOST", "podman": "CONTAINER_HOST"}[backend]
	env.Setenv("ENGINEVAR", engineVar)
	env.Setenv("ENGINEHOST", os.Getenv(engineVar))
	env.Setenv("XDG_RUNTIME_DIR", filepath.Join(env.WorkDir, "run"))
	env.Setenv("IMAGE311", testenv.ImagePy311)
	env.Setenv("IMAGE313", testenv.ImagePy313)
	name := fmt.Sprintf("ts-%s-%d", backend, time.Now().UnixNano()%1e9)
	env.Setenv("ENVNAME", name)

	root, err := testenv.ModuleRoot()
	if err != nil {
		return err
	}
	example, err := os.ReadFile(filepath.Join(root, "examples", backend+".yaml"))
	if err != nil {
		return err
	}
	cfg := strings.Replace(string(example), "\nname: demo\n", "\nname: "+name+"\n", 1)
	if cfg == string(example) {
		return fmt.Errorf("examples/%s.yaml: no `name: demo` line to replace", backend)
	}
	if err := os.WriteFile(filepath.Join(env.WorkDir, "env.yaml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	return makeGitRepo(filepath.Join(env.WorkDir, "demo-repo"))
}

// makeGitRepo creates a small git repository with one commit.
func makeGitRepo(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.py"), []byte("print('hello from the repo')\n"), 0o644); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "."},
		{"-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "initial"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %v\n%s", args, err, out)
		}
	}
	return nil
}

// cmdContainers waits until the number of envhost containers of $BACKEND
// carrying label KEY=VALUE is N (within 90s); with -running, only running
// containers count; with -top PATTERN, only those running a process whose
// command line contains PATTERN:
//
//	containers [-running] [-top 'sleep 600'] N io.envhost.env=$ENVNAME
func cmdContainers(ts *testscript.TestScript, neg bool, args []string) {
	running, top := false, ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-running":
			running, args = true, args[1:]
		case args[0] == "-top" && len(args) > 1:
			running, top, args = true, args[1], args[2:]
		default:
			ts.Fatalf("containers: unknown flag %s", args[0])
		}
	}
	if neg || len(args) != 2 {
		ts.Fatalf("usage: containers [-running] [-top PATTERN] N LABEL=VALUE")
	}
	var want int
	if _, err := fmt.Sscan(args[0], &want); err != nil {
		ts.Fatalf("containers: count %q: %v", args[0], err)
	}
	key, value, ok := strings.Cut(args[1], "=")
	if !ok {
		ts.Fatalf("containers: want LABEL=VALUE, got %q", args[1])
	}
	e := &engine{backend: ts.Getenv("BACKEND")}
	switch e.backend {
	case "docker":
		e.addr = ts.Getenv("DOCKER_HOST")
	case "podman":
		e.addr = ts.Getenv("CONTAINER_HOST")
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		list, err := e.listManaged(ctx, sdk.LabelManaged)
		cancel()
		ts.Check(err)
		n := 0
		for _, c := range list {
			if c.Labels[key] == value && (!running || c.State == "running") && (top == "" || runs(e, c.ID, top)) {
				n++
			}
		}
		if n == want {
			ts.Logf("%d %s container(s) with %s", n, e.backend, args[1])
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%d %s container(s) with %s, want %d", n, e.backend, args[1], want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// runs reports whether a process of container id has pattern in its
// command line (GET /containers/{id}/top, the same on Docker and Podman).
func runs(e *engine, id, pattern string) bool {
	var top struct {
		Titles    []string   `json:"Titles"`
		Processes [][]string `json:"Processes"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.call(ctx, "GET", "/containers/"+id+"/top", &top); err != nil {
		return false
	}
	for _, p := range top.Processes {
		if strings.Contains(strings.Join(p, " "), pattern) {
			return true
		}
	}
	return false
}
