package pluginhost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/sdk"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// launch starts the test plugin with env added, closing it at the end.
func launch(t *testing.T, log io.Writer, env ...string) *pluginhost.Plugin {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	env = append(env, "TESTPLUGIN_ROOT="+t.TempDir())
	p, err := pluginhost.Launch(t.Context(), "test", pluginhost.Options{
		Dirs:         []string{pluginDir},
		Logger:       hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Debug}),
		StartTimeout: 10 * time.Second,
		Env:          env,
	})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func create(t *testing.T, b sdk.Backend) string {
	t.Helper()
	c, err := b.Create(t.Context(), sdk.Spec{Image: "present:1"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c.ID
}

func TestPluginCalls(t *testing.T) {
	logs := &syncBuffer{}
	p := launch(t, logs)
	ctx := t.Context()
	if p.Name() != "test" || p.Path() != filepath.Join(pluginDir, "envhost-plugin-test") || p.Pid() <= 0 {
		t.Fatalf("Name %q Path %q Pid %d", p.Name(), p.Path(), p.Pid())
	}
	info, err := p.Info(ctx)
	if err != nil || info.Name != "fake" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	id := create(t, p)

	var out, errb bytes.Buffer
	code, err := p.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"cat"}},
		sdk.ExecIO{Stdin: strings.NewReader("ping\n"), Stdout: &out, Stderr: &errb})
	if err != nil || code != 0 || out.String() != "ping\n" {
		t.Fatalf("cat: %d, %v, %q", code, err, out.String())
	}
	code, err = p.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"stderr", "bad", "thing"}}, sdk.ExecIO{Stdout: &out, Stderr: &errb})
	if err != nil || code != 0 || errb.String() != "bad thing\n" {
		t.Fatalf("stderr: %d, %v, %q", code, err, errb.String())
	}
	if code, err = p.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"exit", "7"}}, sdk.ExecIO{}); err != nil || code != 7 {
		t.Fatalf("exit 7: %d, %v", code, err)
	}
	out.Reset()
	if _, err = p.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"pid"}}, sdk.ExecIO{Stdout: &out}); err != nil || strings.TrimSpace(out.String()) != fmt.Sprint(p.Pid()) {
		t.Fatalf("pid: %q, %v; Pid() = %d", out.String(), err, p.Pid())
	}

	// Errors keep their class and message across the process boundary.
	_, err = p.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"fail", "not_found", "no", "such", "file"}}, sdk.ExecIO{})
	if !errors.Is(err, sdk.ErrNotFound) || err.Error() != "no such file" {
		t.Fatalf("fail not_found: %v", err)
	}
	_, err = p.EnsureImage(ctx, sdk.ImageRequest{Image: "missing:9", Policy: sdk.PullNever}, nil)
	if !errors.Is(err, sdk.ErrNotFound) || err.Error() != `image "missing:9" not found` {
		t.Fatalf("EnsureImage missing: %v", err)
	}
	if _, err := p.Create(ctx, sdk.Spec{Image: "present:1", Options: map[string]string{"x": "1"}}); !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Fatalf("Create bad option: %v", err)
	}

	// The plugin's JSON log lines reach the host logger with their level.
	if s := logs.String(); !strings.Contains(s, "[INFO]") || !strings.Contains(s, "test plugin starting") {
		t.Errorf("host log lacks the plugin's info line:\n%s", s)
	}
}

func TestPluginCancelExec(t *testing.T) {
	p := launch(t, nil)
	id := create(t, p)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := p.Exec(ctx, sdk.ExecSpec{ContainerID: id, Cmd: []string{"sleep"}}, sdk.ExecIO{})
	if !errors.Is(err, sdk.ErrDeadlineExceeded) {
		t.Fatalf("Exec past deadline = %v", err)
	}
	if _, err := p.Info(t.Context()); err != nil {
		t.Fatalf("Info after a cancelled exec: %v", err)
	}
}

func TestPluginCrash(t *testing.T) {
	p := launch(t, nil)
	id := create(t, p)
	oldPid := p.Pid()

	errc := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		// stdin that never ends keeps the stdin pump busy too.
		pr, pw := io.Pipe()
		defer pw.Close()
		close(started)
		_, err := p.Exec(context.Background(), sdk.ExecSpec{ContainerID: id, Cmd: []string{"sleep"}}, sdk.ExecIO{Stdin: pr, Stdout: io.Discard})
		errc <- err
	}()
	<-started
	time.Sleep(300 * time.Millisecond) // let the exec reach the plugin
	if err := syscall.Kill(oldPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var err error
	select {
	case err = <-errc:
	case <-time.After(10 * time.Second):
		t.Fatal("Exec still blocked 10s after the plugin was killed")
	}
	t.Logf("Exec returned %v after the kill: %v", time.Since(start).Round(time.Millisecond), err)
	want := fmt.Sprintf("plugin %q (%s) exited: signal: killed", "test", p.Path())
	if !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), want) {
		t.Fatalf("pending Exec = %v\nwant ErrUnavailable containing %q", err, want)
	}
	if !p.Exited() {
		t.Error("Exited() = false after the crash")
	}
	if _, err := p.Info(t.Context()); !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), want) {
		t.Fatalf("later Info = %v", err)
	}

	if err := p.Relaunch(t.Context()); err != nil {
		t.Fatalf("Relaunch: %v", err)
	}
	if p.Pid() == oldPid || p.Exited() {
		t.Fatalf("after Relaunch: pid %d (was %d), exited %v", p.Pid(), oldPid, p.Exited())
	}
	if info, err := p.Info(t.Context()); err != nil || info.Name != "fake" {
		t.Fatalf("Info after Relaunch = %+v, %v", info, err)
	}
}

func TestPluginClose(t *testing.T) {
	p := launch(t, nil)
	pid := p.Pid()
	p.Close()
	if _, err := p.Info(t.Context()); !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Info after Close = %v", err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("plugin process %d still alive after Close", pid)
	}
}

// startFails launches the plugin file name from dir and returns the error.
func startFails(t *testing.T, dir, name string, env ...string) error {
	t.Helper()
	start := time.Now()
	_, err := pluginhost.Launch(t.Context(), name, pluginhost.Options{
		Dirs: []string{dir}, StartTimeout: 3 * time.Second,
		Env: append(env, "TESTPLUGIN_ROOT="+t.TempDir()),
	})
	if err == nil {
		t.Fatal("Launch succeeded")
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("Launch took %v to fail", d)
	}
	t.Logf("Launch error: %v", err)
	return err
}

func TestLaunchNotAPlugin(t *testing.T) {
	dir := t.TempDir()
	bogus := filepath.Join(dir, "envhost-plugin-bogus")
	copyFile(t, "/bin/true", bogus)
	err := startFails(t, dir, "bogus")
	if !errors.Is(err, sdk.ErrFailedPrecondition) || !strings.Contains(err.Error(), bogus) {
		t.Fatalf("error %v does not name %s", err, bogus)
	}

	// One that never speaks: the start timeout ends it.
	silent := filepath.Join(dir, "envhost-plugin-silent")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = startFails(t, dir, "silent")
	if !strings.Contains(err.Error(), silent) || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("error %v", err)
	}
}

func TestLaunchIncompatible(t *testing.T) {
	err := startFails(t, pluginDir, "test", "TESTPLUGIN_PROTOCOL=2")
	if !errors.Is(err, sdk.ErrFailedPrecondition) || !strings.Contains(err.Error(), filepath.Join(pluginDir, "envhost-plugin-test")) ||
		!strings.Contains(strings.ToLower(err.Error()), "incompatible api version") {
		t.Fatalf("error %v", err)
	}
	err = startFails(t, pluginDir, "test", "TESTPLUGIN_STDOUT=hello from main")
	if !strings.Contains(err.Error(), "hello from main") {
		t.Fatalf("error %v does not quote the stray stdout line", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestPluginTakesMessagesOver4MiB(t *testing.T) {
	// sdk.Serve raises the server's 4 MiB default receive limit.
	p := launch(t, nil)
	big := strings.Repeat("x", 6<<20)
	c, err := p.Create(t.Context(), sdk.Spec{Image: "present:1", Labels: map[string]string{"big": big}})
	if err != nil {
		t.Fatalf("Create with a 6 MiB spec: %v", err)
	}
	st, err := p.Inspect(t.Context(), c.ID)
	if err != nil || len(st.Labels["big"]) != len(big) {
		t.Fatalf("Inspect: %v, label of %d bytes", err, len(st.Labels["big"]))
	}
}

func TestCleanupAll(t *testing.T) {
	p := launch(t, nil)
	pid := p.Pid()
	pluginhost.CleanupAll()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("plugin process %d alive after CleanupAll", pid)
	}
	if _, err := p.Info(t.Context()); !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("Info after CleanupAll = %v", err)
	}
}

func TestLaunchCancelled(t *testing.T) {
	dir := t.TempDir()
	silent := filepath.Join(dir, "envhost-plugin-silent")
	if err := os.WriteFile(silent, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := pluginhost.Launch(ctx, "silent", pluginhost.Options{Dirs: []string{dir}})
	if !errors.Is(err, sdk.ErrDeadlineExceeded) || !strings.Contains(err.Error(), silent) {
		t.Fatalf("Launch = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Launch took %v after its ctx ended", d)
	}
}
