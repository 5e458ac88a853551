package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// The integration tests run the real lifecycle against Docker and Podman,
// through the backend plugins built from this repository with go build and
// launched as plugin processes from Config.PluginDirs.

var engines = []string{"docker", "podman"}

// plugins builds the backend plugins once per test binary.
func plugins(t testing.TB) string {
	t.Helper()
	return testenv.BuildBinaries(t, testenv.PluginPackages()...)
}

// TestMain removes the plugin binaries built for the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// needEngines skips in -short mode and points the plugins at the test engines.
func needEngines(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (needs engines); skipped in -short mode")
	}
	testenv.UseEngines(t)
}

// gitRepo makes a small git repository on the host and returns its path
// and HEAD commit.
func gitRepo(t testing.TB) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "myrepo")
	mustWrite(t, filepath.Join(dir, "README.md"), "hello\n")
	mustWrite(t, filepath.Join(dir, "app.py"), "print('v1')\n")
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "first")
	mustWrite(t, filepath.Join(dir, "app.py"), "print('v2')\n")
	git(t, dir, "commit", "-q", "-am", "second")
	return dir, strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func realConfig(t *testing.T, backend string, repo *RepoConfig) Config {
	return Config{
		Name:                strings.ReplaceAll(t.Name(), "/", "-"),
		Deployment:          DeploymentConfig{Backend: backend, Image: testenv.ImagePy311, Pull: sdk.PullNever, StartupTimeout: Duration(2 * time.Minute)},
		Repo:                repo,
		PostStartupCommands: []string{"echo started >> /tmp/post.log"},
		PluginDirs:          []string{plugins(t)},
	}
}

func startReal(t *testing.T, cfg Config, opts ...Option) (*Environment, *eventLog) {
	t.Helper()
	events := &eventLog{}
	opts = append([]Option{WithLogger(testLogger(t)), WithEventHandler(events.add), WithSnapshotDir(t.TempDir())}, opts...)
	e, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return e, events
}

// sh runs cmd in the default session, failing the test on error or a
// nonzero exit, and returns its trimmed output.
func sh(t *testing.T, e *Environment, cmd string) string {
	t.Helper()
	res, err := e.Communicate(context.Background(), cmd, CommunicateOptions{Timeout: time.Minute, Check: CheckRaise})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(res.Output)
}

// dirtyRepo edits a tracked file, stages a change and adds an untracked
// file; it returns `git status --porcelain`.
func dirtyRepo(t *testing.T, e *Environment) string {
	t.Helper()
	sh(t, e, "echo edited >> README.md")
	sh(t, e, "echo staged >> app.py && git add app.py")
	sh(t, e, "echo new > untracked.txt")
	st := sh(t, e, "git status --porcelain")
	if st == "" {
		t.Fatal("repo not dirty")
	}
	return st
}

func checkDirtyState(t *testing.T, e *Environment, status string) {
	t.Helper()
	if got := sh(t, e, "cd /myrepo && git status --porcelain"); got != status {
		t.Errorf("git status after restart:\n%s\nwant:\n%s", got, status)
	}
	if got := sh(t, e, "cat README.md"); got != "hello\nedited" {
		t.Errorf("README.md = %q", got)
	}
	if got := sh(t, e, "cat untracked.txt"); got != "new" {
		t.Errorf("untracked.txt = %q", got)
	}
	if got := sh(t, e, "git diff --cached --name-only"); got != "app.py" {
		t.Errorf("staged = %q", got)
	}
}

func pythonVersion(t *testing.T, e *Environment) string {
	t.Helper()
	v := sh(t, e, "python3 --version")
	return strings.Join(strings.Split(strings.TrimPrefix(v, "Python "), ".")[:2], ".")
}

func TestIntegration(t *testing.T) {
	needEngines(t)
	for _, backend := range engines {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			t.Run("SeedRestartPreserve", func(t *testing.T) { testSeedRestart(t, backend) })
			t.Run("RestartNoPreserveResets", func(t *testing.T) { testRestartNoPreserve(t, backend) })
			t.Run("RestartFailuresLoseNothing", func(t *testing.T) { testRestartFailures(t, backend) })
			t.Run("KeepOldUntilReady", func(t *testing.T) { testKeepOld(t, backend) })
			t.Run("TimeoutAndInterrupt", func(t *testing.T) { testTimeoutInterrupt(t, backend) })
			t.Run("RepoKinds", func(t *testing.T) { testRepoKinds(t, backend) })
			t.Run("FilesAndExecute", func(t *testing.T) { testFilesExecute(t, backend) })
			t.Run("BadBaseCommit", func(t *testing.T) { testBadBaseCommit(t, backend) })
			t.Run("Parallel10", func(t *testing.T) { testParallel(t, backend, 10) })
		})
	}
}

// TestIntegrationCrossBackend restarts an environment from Docker onto
// Podman mid-run, with its repository state and variables.
func TestIntegrationCrossBackend(t *testing.T) {
	needEngines(t)
	repo, _ := gitRepo(t)
	e, events := startReal(t, realConfig(t, "docker", &RepoConfig{Path: repo}))
	ctx := context.Background()
	if err := e.SetEnvVariables(ctx, map[string]string{"FOO": "carried"}); err != nil {
		t.Fatal(err)
	}
	status := dirtyRepo(t, e)
	mark := events.mark()
	dep := DeploymentConfig{Backend: "podman", Image: testenv.ImagePy313, Pull: sdk.PullNever}
	if err := e.RestartWithConfig(ctx, dep, true); err != nil {
		t.Fatal(err)
	}
	if e.BackendName() != "podman" || pythonVersion(t, e) != "3.13" {
		t.Fatalf("backend %s", e.BackendName())
	}
	checkDirtyState(t, e, status)
	if got := sh(t, e, "echo $FOO; cat /tmp/post.log"); got != "carried\nstarted" {
		t.Errorf("env and post-startup after the backend switch: %q", got)
	}
	logRestartDurations(t, events, mark)
	// And back.
	if err := e.RestartWithConfig(ctx, DeploymentConfig{Backend: "docker", Image: testenv.ImagePy311, Pull: sdk.PullNever}, true); err != nil {
		t.Fatal(err)
	}
	checkDirtyState(t, e, status)
}

// testSeedRestart is the seed's scenario: start on Python 3.11 with a
// repository, dirty it, restart on 3.13 preserving the repo state.
func testSeedRestart(t *testing.T, backend string) {
	repo, head := gitRepo(t)
	e, events := startReal(t, realConfig(t, backend, &RepoConfig{Path: repo}))
	ctx := context.Background()
	if v := pythonVersion(t, e); v != "3.11" {
		t.Fatalf("python %s", v)
	}
	if got := sh(t, e, "pwd && git rev-parse HEAD"); got != "/myrepo\n"+head {
		t.Fatalf("repo: %q", got)
	}
	if err := e.SetEnvVariables(ctx, map[string]string{"FOO": "bar baz", "QUOTE": "it's"}); err != nil {
		t.Fatal(err)
	}
	status := dirtyRepo(t, e)
	mark := events.mark()
	if err := e.RestartWithImage(ctx, testenv.ImagePy313, true); err != nil {
		t.Fatal(err)
	}
	if v := pythonVersion(t, e); v != "3.13" {
		t.Errorf("python after restart: %s", v)
	}
	checkDirtyState(t, e, status)
	if got := sh(t, e, "cat /tmp/post.log"); got != "started" {
		t.Errorf("post-startup log in the new container: %q", got)
	}
	if got := sh(t, e, `echo "$FOO|$QUOTE|$LANG|$PAGER"`); got != "bar baz|it's|C.UTF-8|cat" {
		t.Errorf("env after restart: %q", got)
	}
	want := []string{"restart:begin", "store_repo_ref:begin", "store_repo_ref:end", "ensure_image:begin", "ensure_image:end",
		"snapshot:begin", "snapshot:end", "close:begin", "close:end", "create:begin", "create:end", "init:begin", "init:end",
		"repo:begin", "restore:begin", "restore:end", "repo:end", "post_startup:begin", "post_startup:end", "restart:end"}
	equalSteps(t, events.steps(mark), want)
	logRestartDurations(t, events, mark)
}

func logRestartDurations(t *testing.T, events *eventLog, mark int) {
	events.mu.Lock()
	defer events.mu.Unlock()
	var parts []string
	for _, ev := range events.ev[mark:] {
		if ev.Phase == PhaseEnd {
			parts = append(parts, fmt.Sprintf("%s=%s", ev.Step, ev.Duration.Round(time.Millisecond)))
		}
	}
	t.Logf("restart steps: %s", strings.Join(parts, " "))
}

func testRestartNoPreserve(t *testing.T, backend string) {
	repo, head := gitRepo(t)
	e, _ := startReal(t, realConfig(t, backend, &RepoConfig{Path: repo}))
	dirtyRepo(t, e)
	sh(t, e, "git -c user.name=t -c user.email=t@example.com commit -qm local")
	if err := e.RestartWithImage(context.Background(), testenv.ImagePy313, false); err != nil {
		t.Fatal(err)
	}
	if got := sh(t, e, "git status --porcelain; git rev-parse HEAD; cat README.md"); got != head+"\nhello" {
		t.Errorf("not reset: %q", got)
	}
	if _, err := e.ReadFile(context.Background(), "untracked.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("untracked file survived: %v", err)
	}
}

// testRestartFailures: a missing image fails before anything is touched; a
// startup failure after close keeps the snapshot, and a restart with the
// old image restores it.
func testRestartFailures(t *testing.T, backend string) {
	repo, _ := gitRepo(t)
	e, _ := startReal(t, realConfig(t, backend, &RepoConfig{Path: repo}))
	ctx := context.Background()
	status := dirtyRepo(t, e)
	id := e.ContainerID()

	err := e.RestartWithImage(ctx, "envhost/does-not-exist:0", true)
	if err == nil || !errors.Is(err, sdk.ErrNotFound) || !strings.Contains(err.Error(), "does-not-exist") {
		t.Fatalf("missing image: %v", err)
	}
	if e.ContainerID() != id || e.State() != StateRunning {
		t.Fatalf("env changed by a failed restart: %s %s", e.ContainerID(), e.State())
	}
	checkDirtyState(t, e, status)

	// A startup timeout after the old container closed.
	bad := e.Config().Deployment
	bad.Image = testenv.ImagePy313
	bad.StartupTimeout = Duration(time.Millisecond)
	err = e.RestartWithConfig(ctx, bad, true)
	if err == nil || !strings.Contains(err.Error(), "startup_timeout") {
		t.Fatalf("startup timeout: %v", err)
	}
	snap := e.PendingSnapshot()
	if snap == "" || e.State() != StateFailed {
		t.Fatalf("after failed restart: pending %q, state %s", snap, e.State())
	}
	if _, err := e.Communicate(ctx, "true", CommunicateOptions{}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("communicate with no container: %v", err)
	}
	if err := e.RestartWithImage(ctx, testenv.ImagePy311, true); err != nil {
		t.Fatal(err)
	}
	if v := pythonVersion(t, e); v != "3.11" {
		t.Errorf("python %s", v)
	}
	checkDirtyState(t, e, status)
	if _, err := os.Stat(snap); !os.IsNotExist(err) {
		t.Errorf("restored snapshot not removed: %v", err)
	}
}

func testKeepOld(t *testing.T, backend string) {
	repo, _ := gitRepo(t)
	e, _ := startReal(t, realConfig(t, backend, &RepoConfig{Path: repo}), WithKeepOldUntilReady(true))
	ctx := context.Background()
	status := dirtyRepo(t, e)
	sh(t, e, "export MARK=kept; cd /tmp")
	id := e.ContainerID()
	bad := e.Config().Deployment
	bad.Image = testenv.ImagePy313
	bad.StartupTimeout = Duration(time.Millisecond)
	if err := e.RestartWithConfig(ctx, bad, true); err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("failing restart: %v", err)
	}
	if e.ContainerID() != id || sh(t, e, "echo $MARK $(pwd)") != "kept /tmp" {
		t.Fatal("old container or its session not current after rollback")
	}
	if err := e.RestartWithImage(ctx, testenv.ImagePy313, true); err != nil {
		t.Fatal(err)
	}
	checkDirtyState(t, e, status)
}

func testTimeoutInterrupt(t *testing.T, backend string) {
	e, _ := startReal(t, realConfig(t, backend, nil))
	ctx := context.Background()
	sh(t, e, "export KEEP=1; cd /tmp")
	start := time.Now()
	res, err := e.Communicate(ctx, "echo before; sleep 60", CommunicateOptions{Timeout: time.Second})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(res.Output, "before") {
		t.Fatalf("timeout: %q %v", res.Output, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("timeout took %s", d)
	}
	if got := sh(t, e, "echo $KEEP $(pwd)"); got != "1 /tmp" {
		t.Errorf("session state after timeout: %q", got)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.Communicate(ctx, "sleep 60", CommunicateOptions{Timeout: time.Minute})
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	if err := e.Interrupt(ctx, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("interrupt did not end the command")
	}
	if got := sh(t, e, "echo $KEEP $(pwd)"); got != "1 /tmp" {
		t.Errorf("session state after interrupt: %q", got)
	}
	if err := e.OpenSession(ctx, "bg"); err != nil {
		t.Fatal(err)
	}
	if res, err := e.Communicate(ctx, "pwd", CommunicateOptions{Session: "bg"}); err != nil || strings.TrimSpace(res.Output) != "/" {
		t.Errorf("named session: %q %v", res.Output, err)
	}
}

func testRepoKinds(t *testing.T, backend string) {
	repo, _ := gitRepo(t)
	ctx := context.Background()
	t.Run("GitURL", func(t *testing.T) {
		bare := filepath.Join(t.TempDir(), "proj.git")
		git(t, filepath.Dir(bare), "clone", "-q", "--bare", repo, bare)
		first := strings.TrimSpace(git(t, repo, "rev-parse", "HEAD~1"))
		e, _ := startReal(t, realConfig(t, backend, &RepoConfig{GitURL: bare, BaseCommit: first}))
		if got := sh(t, e, "pwd; git rev-parse HEAD; git remote get-url origin"); got != "/proj\n"+first+"\n"+gitStage+"/proj.git" {
			t.Errorf("cloned repo: %q", got)
		}
		sh(t, e, "echo x >> README.md")
		if err := e.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if got := sh(t, e, "git status --porcelain; pwd"); got != "/proj" {
			t.Errorf("after reset: %q", got)
		}
	})
	t.Run("Preexisting", func(t *testing.T) {
		// The repository is in the container before envhost looks for it:
		// a bind mount stands in for an image that ships it.
		cfg := realConfig(t, backend, &RepoConfig{Name: "testbed", Reset: true})
		cfg.Deployment.DockerArgs = []string{"-v", repo + ":/testbed"}
		git(t, repo, "checkout", "-q", "HEAD~1")
		e, _ := startReal(t, cfg)
		if got := sh(t, e, "pwd; git rev-parse HEAD"); got != "/testbed\n"+strings.TrimSpace(git(t, repo, "rev-parse", "HEAD")) {
			t.Errorf("pre-existing repo: %q", got)
		}
	})
}

func testFilesExecute(t *testing.T, backend string) {
	repo, _ := gitRepo(t)
	e, _ := startReal(t, realConfig(t, backend, &RepoConfig{Path: repo}))
	ctx := context.Background()
	if err := e.SetEnvVariables(ctx, map[string]string{"FOO": "bar"}); err != nil {
		t.Fatal(err)
	}
	if err := e.WriteFile(ctx, "/tmp/a/b/c.txt", []byte("héllo\x00bin")); err != nil {
		t.Fatal(err)
	}
	if got, err := e.ReadFile(ctx, "/tmp/a/b/c.txt"); err != nil || string(got) != "héllo\x00bin" {
		t.Errorf("read back %q %v", got, err)
	}
	if got, err := e.ReadFile(ctx, "README.md"); err != nil || string(got) != "hello\n" {
		t.Errorf("relative read %q %v", got, err)
	}
	if _, err := e.ReadFile(ctx, "/nope/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	res, err := e.Execute(ctx, ExecuteRequest{Shell: "echo $FOO $(pwd); echo oops >&2; exit 4"})
	if err != nil || res.ExitCode != 4 || strings.TrimSpace(res.Stdout) != "bar /myrepo" || strings.TrimSpace(res.Stderr) != "oops" {
		t.Errorf("execute: %+v %v", res, err)
	}
	res, err = e.Execute(ctx, ExecuteRequest{Argv: []string{"sleep", "30"}, Timeout: 500 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("execute timeout: %+v %v", res, err)
	}
}

func testBadBaseCommit(t *testing.T, backend string) {
	repo, _ := gitRepo(t)
	cfg := realConfig(t, backend, &RepoConfig{Path: repo, BaseCommit: "deadbeef00"})
	e, err := New(cfg, WithLogger(hclog.NewNullLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	err = e.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"deadbeef00"`) {
		t.Fatalf("bad base commit: %v", err)
	}
	if e.ContainerID() != "" || e.State() != StateFailed {
		t.Errorf("after failed start: %q %s", e.ContainerID(), e.State())
	}
}

func testParallel(t *testing.T, backend string, n int) {
	repo, head := gitRepo(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := realConfig(t, backend, &RepoConfig{Path: repo})
			cfg.Name = fmt.Sprintf("par-%s-%d", backend, i)
			e, err := New(cfg, WithLogger(hclog.NewNullLogger()))
			if err != nil {
				errs <- err
				return
			}
			defer e.Close(context.Background())
			ctx := context.Background()
			if err := e.Start(ctx); err != nil {
				errs <- fmt.Errorf("env %d: %w", i, err)
				return
			}
			res, err := e.Communicate(ctx, fmt.Sprintf("echo %d > mine && cat mine && git rev-parse HEAD", i), CommunicateOptions{Check: CheckRaise})
			if err != nil || res.Output != fmt.Sprintf("%d\n%s\n", i, head) {
				errs <- fmt.Errorf("env %d: %q %v", i, res.Output, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d environments on %s started, used and closed in parallel in %s", n, backend, time.Since(start).Round(time.Millisecond))
}

// testLogger sends warnings and errors to the test log.
func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: tlog{t}, DisableTime: true})
}

type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
