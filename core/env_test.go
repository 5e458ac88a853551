package core

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
)

const (
	img1 = "img:1"
	img2 = "img:2"
)

func localCfg(t *testing.T) Config {
	dir := hostRepo(t, map[string]string{"a.txt": "hello\n", "sub/b.txt": "b\n"})
	return Config{
		Deployment:          DeploymentConfig{Image: img1},
		Repo:                &RepoConfig{Path: dir},
		PostStartupCommands: []string{"echo post >> /tmp/post"},
		Env:                 map[string]string{"CFG": "1"},
	}
}

func startFake(t *testing.T, w *fakeWorld, cfg Config, opts ...Option) *Environment {
	t.Helper()
	e := w.newEnv(t, cfg, opts...)
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestStartStepsAndRepo(t *testing.T) {
	w := newFakeWorld(img1)
	e := startFake(t, w, localCfg(t))
	equalSteps(t, w.events.steps(0), []string{
		"start:begin", "backend:begin", "backend:end", "ensure_image:begin", "ensure_image:end",
		"create:begin", "create:end", "init:begin", "init:end", "repo:begin", "repo:end",
		"post_startup:begin", "post_startup:end", "start:end",
	})
	b := w.backends["docker"]
	id := e.ContainerID()
	if got, _ := b.file(t, id, "/myrepo/sub/b.txt"); got != "b\n" {
		t.Errorf("repo not copied: %q", got)
	}
	if _, ok := b.file(t, id, "/myrepo/.git/HEAD"); !ok {
		t.Error(".git not copied")
	}
	cmds := strings.Join(b.commands(id), "\n")
	for _, want := range []string{"git restore .", "git reset --hard", "git checkout -q 'HEAD'", "git clean -fdq", "echo post >> /tmp/post"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("commands lack %q:\n%s", want, cmds)
		}
	}
	c := b.live()[0]
	if c.spec.Labels[sdk.LabelEnv] != "main" || c.spec.Env["LANG"] != "C.UTF-8" || c.spec.Env["CFG"] != "1" {
		t.Errorf("spec = %+v", c.spec)
	}
	if env := c.envs[0]; env["PAGER"] != "cat" || env["PIP_PROGRESS_BAR"] != "off" || env["LC_ALL"] != "C.UTF-8" {
		t.Errorf("session env = %v", env)
	}
	if e.State() != StateRunning {
		t.Errorf("state %s", e.State())
	}
}

func TestStartRejectsNonGitDir(t *testing.T) {
	w := newFakeWorld(img1)
	cfg := localCfg(t)
	cfg.Repo.Path = t.TempDir()
	_, err := New(cfg, WithBackendOpener(func(context.Context, string) (Backend, error) { return w.backends["docker"], nil }))
	if err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("New with a non-git dir: %v", err)
	}
}

func TestRestartPreserveFlow(t *testing.T) {
	w := newFakeWorld(img1, img2)
	e := startFake(t, w, localCfg(t))
	b := w.backends["docker"]
	oldID := e.ContainerID()
	ctx := context.Background()
	if err := e.SetEnvVariables(ctx, map[string]string{"FOO": "it's"}); err != nil {
		t.Fatal(err)
	}
	b.setFile(oldID, "/myrepo/a.txt", "edited\n")
	b.setFile(oldID, "/myrepo/untracked.txt", "new\n")

	mark, calls := w.events.mark(), len(w.log.list())
	if err := e.RestartWithImage(ctx, img2, true); err != nil {
		t.Fatal(err)
	}
	// The engine sees: new image ensured, repo copied out, old removed, new created, repo copied in.
	var seen []string
	for _, c := range w.log.list()[calls:] {
		if f := strings.Fields(c); f[1] != "Exec" {
			seen = append(seen, f[1])
		}
	}
	if got := strings.Join(seen, " "); got != "EnsureImage CopyOut Remove Create CopyIn" {
		t.Errorf("backend calls: %s", got)
	}
	equalSteps(t, w.events.steps(mark), []string{
		"restart:begin", "store_repo_ref:begin", "store_repo_ref:end", "ensure_image:begin", "ensure_image:end",
		"snapshot:begin", "snapshot:end", "close:begin", "close:end",
		"create:begin", "create:end", "init:begin", "init:end",
		"repo:begin", "restore:begin", "restore:end", "repo:end",
		"post_startup:begin", "post_startup:end", "restart:end",
	})
	newID := e.ContainerID()
	if newID == oldID || e.Image() != img2 {
		t.Fatalf("container %s image %s", newID, e.Image())
	}
	if got, _ := b.file(t, newID, "/myrepo/a.txt"); got != "edited\n" {
		t.Errorf("edit lost: %q", got)
	}
	if got, _ := b.file(t, newID, "/myrepo/untracked.txt"); got != "new\n" {
		t.Errorf("untracked file lost: %q", got)
	}
	cmds := strings.Join(b.commands(newID), "\n")
	if strings.Contains(cmds, "git reset --hard") {
		t.Error("preserved repo was reset")
	}
	if !strings.Contains(cmds, "echo post") {
		t.Error("post-startup commands not rerun")
	}
	c := b.live()[0]
	if len(b.live()) != 1 || c.envs[0]["FOO"] != "it's" {
		t.Errorf("live containers %d, session env %v", len(b.live()), c.envs[0])
	}
	if e.PendingSnapshot() != "" {
		t.Error("snapshot still pending after success")
	}
	if ents, _ := os.ReadDir(e.snapshotDir); len(ents) != 0 {
		t.Errorf("snapshot files left: %v", ents)
	}
}

func TestRestartNoPreserveResets(t *testing.T) {
	w := newFakeWorld(img1, img2)
	e := startFake(t, w, localCfg(t))
	b := w.backends["docker"]
	b.setFile(e.ContainerID(), "/myrepo/a.txt", "edited\n")
	mark := w.events.mark()
	if err := e.RestartWithImage(context.Background(), img2, false); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(w.events.steps(mark), "snapshot:begin") {
		t.Error("snapshot taken with preserve=false")
	}
	if got, _ := b.file(t, e.ContainerID(), "/myrepo/a.txt"); got != "hello\n" {
		t.Errorf("repo not fresh: %q", got)
	}
	if !strings.Contains(strings.Join(b.commands(e.ContainerID()), "\n"), "git reset --hard") {
		t.Error("not reset")
	}
}

func TestRestartKeepsImageRepo(t *testing.T) {
	w := newFakeWorld(img1, img2)
	b := w.backends["docker"]
	b.images[img2]["/myrepo"] = fakeFile{dir: true}
	b.images[img2]["/myrepo/a.txt"] = fakeFile{data: []byte("from image\n")}
	e := startFake(t, w, localCfg(t))
	b.setFile(e.ContainerID(), "/myrepo/a.txt", "edited\n")
	mark := w.events.mark()
	if err := e.RestartWithImage(context.Background(), img2, true); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(w.events.steps(mark), "restore:begin") {
		t.Error("snapshot restored over the image's repo")
	}
	if got, _ := b.file(t, e.ContainerID(), "/myrepo/a.txt"); got != "from image\n" {
		t.Errorf("image repo not kept: %q", got)
	}
}

func TestRestartMissingImageLeavesEnvIntact(t *testing.T) {
	w := newFakeWorld(img1)
	e := startFake(t, w, localCfg(t))
	b := w.backends["docker"]
	oldID := e.ContainerID()
	b.setFile(oldID, "/myrepo/a.txt", "edited\n")
	mark := w.events.mark()
	err := e.RestartWithImage(context.Background(), "nope:1", true)
	if err == nil || !errors.Is(err, sdk.ErrNotFound) || !strings.Contains(err.Error(), "nope:1") || !strings.Contains(err.Error(), "unchanged") {
		t.Fatalf("restart with a missing image: %v", err)
	}
	steps := w.events.steps(mark)
	if slices.Contains(steps, "close:begin") || slices.Contains(steps, "create:begin") {
		t.Errorf("old container touched: %v", steps)
	}
	if e.ContainerID() != oldID || e.State() != StateRunning || e.Image() != img1 {
		t.Errorf("env changed: %s %s %s", e.ContainerID(), e.State(), e.Image())
	}
	if res, err := e.Communicate(context.Background(), "echo still here", CommunicateOptions{}); err != nil || res.Output != "still here\n" {
		t.Errorf("session after failed restart: %q %v", res.Output, err)
	}
	if got, _ := b.file(t, oldID, "/myrepo/a.txt"); got != "edited\n" {
		t.Errorf("state lost: %q", got)
	}
}

func TestRestartFailureAfterCloseKeepsSnapshot(t *testing.T) {
	w := newFakeWorld(img1, img2)
	e := startFake(t, w, localCfg(t))
	b := w.backends["docker"]
	ctx := context.Background()
	b.setFile(e.ContainerID(), "/myrepo/a.txt", "edited\n")
	b.failCreate = sdk.Errorf(sdk.ErrUnavailable, "engine down")
	err := e.RestartWithImage(ctx, img2, true)
	if err == nil || !strings.Contains(err.Error(), "engine down") || !strings.Contains(err.Error(), "snapshot is kept") {
		t.Fatalf("restart: %v", err)
	}
	snap := e.PendingSnapshot()
	if snap == "" || e.State() != StateFailed {
		t.Fatalf("pending %q state %s", snap, e.State())
	}
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("snapshot file: %v", err)
	}
	if _, err := e.Communicate(ctx, "echo x", CommunicateOptions{}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("communicate without container: %v", err)
	}
	// A second failure keeps the same snapshot.
	if err := e.RestartWithImage(ctx, img2, true); err == nil || e.PendingSnapshot() != snap {
		t.Fatalf("second failing restart: %v, pending %q", err, e.PendingSnapshot())
	}
	b.failCreate = nil
	if err := e.RestartWithImage(ctx, img1, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.file(t, e.ContainerID(), "/myrepo/a.txt"); got != "edited\n" {
		t.Errorf("snapshot not restored: %q", got)
	}
	if e.PendingSnapshot() != "" || e.State() != StateRunning || e.Err() != nil {
		t.Errorf("after recovery: pending %q state %s err %v", e.PendingSnapshot(), e.State(), e.Err())
	}
	if _, err := os.Stat(snap); !os.IsNotExist(err) {
		t.Errorf("landed snapshot not deleted: %v", err)
	}
}

func TestRestartBadConfigLeavesEnvIntact(t *testing.T) {
	w := newFakeWorld(img1)
	e := startFake(t, w, localCfg(t))
	oldID := e.ContainerID()
	mark := w.events.mark()
	err := e.RestartWithConfig(context.Background(), DeploymentConfig{Image: img1, DockerArgs: []string{"--bogus"}}, true)
	if err == nil || !strings.Contains(err.Error(), "--bogus") {
		t.Fatalf("bad config: %v", err)
	}
	if steps := w.events.steps(mark); len(steps) != 2 {
		t.Errorf("steps after bad config: %v", steps)
	}
	if e.ContainerID() != oldID || e.State() != StateRunning {
		t.Error("env changed")
	}
	if err := e.RestartWithConfig(context.Background(), DeploymentConfig{}, true); err == nil || !strings.Contains(err.Error(), "image") {
		t.Errorf("config without image: %v", err)
	}
}

func TestRestartOtherBackend(t *testing.T) {
	w := newFakeWorld(img1, img2)
	e := startFake(t, w, localCfg(t))
	d, p := w.backends["docker"], w.backends["podman"]
	d.setFile(e.ContainerID(), "/myrepo/a.txt", "edited\n")
	if err := e.RestartWithConfig(context.Background(), DeploymentConfig{Backend: "podman", Image: img2}, true); err != nil {
		t.Fatal(err)
	}
	if e.BackendName() != "podman" || len(d.live()) != 0 || len(p.live()) != 1 || !d.closed {
		t.Fatalf("backend %s docker live %d podman live %d docker closed %v", e.BackendName(), len(d.live()), len(p.live()), d.closed)
	}
	if got, _ := p.file(t, e.ContainerID(), "/myrepo/a.txt"); got != "edited\n" {
		t.Errorf("state not carried to podman: %q", got)
	}
}

func TestKeepOldUntilReady(t *testing.T) {
	w := newFakeWorld(img1, img2)
	e := startFake(t, w, localCfg(t), WithKeepOldUntilReady(true))
	b := w.backends["docker"]
	ctx := context.Background()
	oldID := e.ContainerID()

	b.failSession = errors.New("no bash in image")
	err := e.RestartWithImage(ctx, img2, true)
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("failing restart: %v", err)
	}
	if e.ContainerID() != oldID || e.State() != StateRunning || len(b.live()) != 1 {
		t.Fatalf("not rolled back: %s %s live %d", e.ContainerID(), e.State(), len(b.live()))
	}
	if _, err := e.Communicate(ctx, "echo ok", CommunicateOptions{Check: CheckRaise}); err != nil {
		t.Fatalf("old session after rollback: %v", err)
	}
	if e.PendingSnapshot() != "" {
		t.Error("snapshot pending although the old container holds the state")
	}

	b.failSession = nil
	b.setFile(oldID, "/myrepo/a.txt", "edited\n")
	mark := w.events.mark()
	if err := e.RestartWithImage(ctx, img2, true); err != nil {
		t.Fatal(err)
	}
	steps := w.events.steps(mark)
	if i, j := slices.Index(steps, "post_startup:end"), slices.Index(steps, "close:begin"); i < 0 || j < i {
		t.Errorf("old container closed before the new one was ready: %v", steps)
	}
	if got, _ := b.file(t, e.ContainerID(), "/myrepo/a.txt"); got != "edited\n" || len(b.live()) != 1 {
		t.Errorf("after restart: %q, live %d", got, len(b.live()))
	}
}

func TestCommunicateChecks(t *testing.T) {
	w := newFakeWorld(img1)
	e := startFake(t, w, Config{Deployment: DeploymentConfig{Image: img1}})
	ctx := context.Background()
	res, err := e.Communicate(ctx, "exit 3", CommunicateOptions{})
	if err != nil || res.ExitCode != 3 {
		t.Fatalf("ignore: %v %d", err, res.ExitCode)
	}
	mark := w.events.mark()
	if _, err := e.Communicate(ctx, "exit 3", CommunicateOptions{Check: CheckWarn}); err != nil {
		t.Fatalf("warn: %v", err)
	}
	if steps := w.events.steps(mark); len(steps) != 1 || steps[0] != "command:end!" {
		t.Errorf("warn events: %v", steps)
	}
	_, err = e.Communicate(ctx, "exit 3", CommunicateOptions{Check: CheckRaise, ErrorMessage: "tests failed"})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 || !strings.Contains(err.Error(), "tests failed") ||
		!strings.Contains(err.Error(), "exit 3") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("raise: %v", err)
	}
	_, err = e.Communicate(ctx, "sleep 10", CommunicateOptions{Timeout: 10 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("timeout: %v", err)
	}
	if _, err := e.Communicate(ctx, "echo", CommunicateOptions{Session: "nope"}); !errors.Is(err, ErrNoSession) {
		t.Errorf("unknown session: %v", err)
	}
	for s, want := range map[string]Check{"": CheckIgnore, "warn": CheckWarn, "RAISE": CheckRaise} {
		if c, err := ParseCheck(s); err != nil || c != want {
			t.Errorf("ParseCheck(%q) = %v %v", s, c, err)
		}
	}
}

func TestNamedSessionsAndEnv(t *testing.T) {
	w := newFakeWorld(img1, img2)
	e := startFake(t, w, Config{Deployment: DeploymentConfig{Image: img1}})
	ctx := context.Background()
	if err := e.OpenSession(ctx, "server"); err != nil {
		t.Fatal(err)
	}
	if err := e.OpenSession(ctx, "server"); !errors.Is(err, sdk.ErrAlreadyExists) {
		t.Errorf("duplicate session: %v", err)
	}
	if err := e.SetEnvVariables(ctx, map[string]string{"A": "x y"}); err != nil {
		t.Fatal(err)
	}
	b := w.backends["docker"]
	n := 0
	for _, c := range b.commands(e.ContainerID()) {
		if c == "export A='x y'" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("export ran in %d sessions, want 2", n)
	}
	if err := e.SetEnvVariables(ctx, map[string]string{"1A": "x"}); err == nil {
		t.Error("bad variable name accepted")
	}
	if err := e.RestartWithImage(ctx, img2, false); err != nil {
		t.Fatal(err)
	}
	c := b.live()[0]
	if len(c.envs) != 2 || c.envs[1]["A"] != "x y" {
		t.Errorf("sessions after restart: %v", c.envs)
	}
	if _, err := e.Communicate(ctx, "echo hi", CommunicateOptions{Session: "server"}); err != nil {
		t.Errorf("named session after restart: %v", err)
	}
	if err := e.CloseSession(ctx, "server"); err != nil {
		t.Fatal(err)
	}
	if got := e.Sessions(); len(got) != 0 {
		t.Errorf("sessions = %v", got)
	}
	res, err := e.Execute(ctx, ExecuteRequest{Shell: "env", Env: map[string]string{"FOO": "bar"}})
	if err != nil || !strings.Contains(res.Stdout, "FOO=bar") || res.Stderr != "err\n" || !strings.Contains(res.Output, "cwd=/") {
		t.Errorf("execute: %+v %v", res, err)
	}
}

func TestReadWriteFile(t *testing.T) {
	w := newFakeWorld(img1)
	e := startFake(t, w, localCfg(t))
	ctx := context.Background()
	if err := e.WriteFile(ctx, "/deep/new/dir/f.txt", []byte("data")); err != nil {
		t.Fatal(err)
	}
	got, err := e.ReadFile(ctx, "/deep/new/dir/f.txt")
	if err != nil || string(got) != "data" {
		t.Fatalf("read back %q %v", got, err)
	}
	if got, err := e.ReadFile(ctx, "a.txt"); err != nil || string(got) != "hello\n" {
		t.Errorf("relative read: %q %v", got, err)
	}
	if _, err := e.ReadFile(ctx, "/nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := e.ReadFile(ctx, "/myrepo"); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestResetAndBadBaseCommit(t *testing.T) {
	w := newFakeWorld(img1)
	cfg := localCfg(t)
	e := startFake(t, w, cfg)
	ctx := context.Background()
	b := w.backends["docker"]
	before := len(b.commands(e.ContainerID()))
	if err := e.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	cmds := b.commands(e.ContainerID())[before:]
	if cmds[0] != "cd /" || !slices.Contains(cmds, "git clean -fdq") {
		t.Errorf("reset commands: %v", cmds)
	}

	cfg.Repo.BaseCommit = "badbadbad"
	e2 := w.newEnv(t, cfg)
	err := e2.Start(ctx)
	if err == nil || !strings.Contains(err.Error(), `"badbadbad"`) {
		t.Fatalf("bad base commit: %v", err)
	}
	for _, c := range b.live() {
		if c.spec.Labels[sdk.LabelEnv] == "main" && c.id != e.ContainerID() {
			t.Errorf("failed start left container %s", c.id)
		}
	}
}

func TestRepoKindsFake(t *testing.T) {
	w := newFakeWorld(img1)
	b := w.backends["docker"]
	b.images[img1]["/testbed"] = fakeFile{dir: true}
	ctx := context.Background()

	bare := t.TempDir() + "/proj.git"
	mustWrite(t, bare+"/HEAD", "ref: refs/heads/main\n")
	if err := os.MkdirAll(bare+"/objects", 0o755); err != nil {
		t.Fatal(err)
	}
	e := startFake(t, w, Config{Name: "git", Deployment: DeploymentConfig{Image: img1}, Repo: &RepoConfig{GitURL: bare}})
	if got, _ := b.file(t, e.ContainerID(), "/proj/cloned"); got != gitStage+"/proj.git" {
		t.Errorf("cloned from %q", got)
	}
	if _, ok := b.file(t, e.ContainerID(), gitStage+"/proj.git/HEAD"); !ok {
		t.Error("bare repo not copied in")
	}

	e2 := startFake(t, w, Config{Name: "pre", Deployment: DeploymentConfig{Image: img1}, Repo: &RepoConfig{Name: "testbed"}})
	if strings.Contains(strings.Join(b.commands(e2.ContainerID()), "\n"), "git reset") {
		t.Error("pre-existing repo reset without reset: true")
	}
	e3 := w.newEnv(t, Config{Name: "missing", Deployment: DeploymentConfig{Image: img1}, Repo: &RepoConfig{Name: "other"}})
	if err := e3.Start(ctx); err == nil || !strings.Contains(err.Error(), "/other does not exist") {
		t.Errorf("missing pre-existing repo: %v", err)
	}
}

func TestCloseIdempotentAndSubscribe(t *testing.T) {
	w := newFakeWorld(img1)
	e := w.newEnv(t, Config{Deployment: DeploymentConfig{Image: img1}})
	ch, cancel := e.Subscribe()
	defer cancel()
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for ev := range ch {
		steps = append(steps, ev.Step+":"+ev.Phase)
	}
	if len(steps) == 0 || steps[0] != "start:begin" || steps[len(steps)-1] != "close:end" {
		t.Errorf("subscribed events: %v", steps)
	}
	if b := w.backends["docker"]; len(b.live()) != 0 || !b.closed {
		t.Error("close left a container or the backend open")
	}
	if _, err := e.Communicate(ctx, "echo", CommunicateOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestCloseKillsRunningCommand(t *testing.T) {
	w := newFakeWorld(img1)
	e := startFake(t, w, Config{Deployment: DeploymentConfig{Image: img1}})
	done := make(chan error, 1)
	go func() {
		_, err := e.Communicate(context.Background(), "sleep 600", CommunicateOptions{Timeout: time.Hour})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- e.Close(context.Background()) }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the running command")
	}
	if err := <-done; !errors.Is(err, ErrSessionClosed) {
		t.Errorf("running command: %v", err)
	}
}

func TestHardReset(t *testing.T) {
	w := newFakeWorld(img1)
	e := startFake(t, w, localCfg(t))
	ctx := context.Background()
	b := w.backends["docker"]
	old := e.ContainerID()
	b.setFile(old, "/myrepo/a.txt", "edited\n")
	if err := e.SetEnvVariables(ctx, map[string]string{"K": "v"}); err != nil {
		t.Fatal(err)
	}
	mark := w.events.mark()
	if err := e.HardReset(ctx); err != nil {
		t.Fatal(err)
	}
	steps := w.events.steps(mark)
	if steps[0] != "hard_reset:begin" || !slices.Contains(steps, "close:end") || !slices.Contains(steps, "post_startup:end") {
		t.Errorf("steps: %v", steps)
	}
	live := b.live()
	if e.ContainerID() == old || len(live) != 1 || live[0].envs[0]["K"] != "v" {
		t.Fatalf("after hard reset: %s live %d", e.ContainerID(), len(live))
	}
	if got, _ := b.file(t, e.ContainerID(), "/myrepo/a.txt"); got != "hello\n" {
		t.Errorf("repo not fresh: %q", got)
	}
}
