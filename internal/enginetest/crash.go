// Package enginetest holds tests shared by the engine backend plugins
// (plugins/docker, plugins/podman), run against their real plugin processes.
package enginetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// CrashLabel marks the containers of the crash test, so that the engine can
// be asked, independently of the plugin, whether any is left.
const CrashLabel = "io.envhost.test.crash"

// Engine reaches the container engine directly, independently of the
// plugin under test (which may be dead).
type Engine struct {
	// RemoveContainer force-removes container id, ignoring errors.
	RemoveContainer func(ctx context.Context, id string)
	// ListContainers lists the containers, running or not, carrying the
	// label filter (KEY=VALUE).
	ListContainers func(ctx context.Context, label string) ([]Container, error)
}

// Container is a container as the engine lists it.
type Container struct {
	ID, State string
}

// PluginCrashMidExec kills the plugin process p while an Exec is blocked in
// it: the Exec and every later call fail at once with an ErrUnavailable
// error naming the plugin, and after Relaunch the host can still remove the
// container, so nothing leaks in engine.
func PluginCrashMidExec(t *testing.T, p *pluginhost.Plugin, engine Engine) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	value := randHex()
	c, err := p.Create(ctx, sdk.Spec{Image: testenv.ImagePy311, Labels: map[string]string{CrashLabel: value}})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	// Whatever happens, leave nothing behind (through the engine, not the
	// plugin, which may be dead).
	t.Cleanup(func() { engine.RemoveContainer(context.Background(), c.ID) })

	out := newSignal("started")
	type result struct {
		code int
		err  error
		at   time.Time
	}
	done := make(chan result, 1)
	go func() {
		code, err := p.Exec(ctx, sdk.ExecSpec{ContainerID: c.ID, Cmd: []string{"sh", "-c", "echo started; exec sleep 600"}},
			sdk.ExecIO{Stdout: out})
		done <- result{code, err, time.Now()}
	}()
	select {
	case <-out.seen:
	case r := <-done:
		t.Fatalf("Exec returned before the kill: %d, %v", r.code, r.err)
	case <-time.After(time.Minute):
		t.Fatal("the exec never started")
	}

	pid := p.Pid()
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill plugin pid %d: %v", pid, err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Exec still blocked 10s after the plugin was killed")
	}
	t.Logf("Exec returned %s after SIGKILL: %v", r.at.Sub(killed).Round(time.Millisecond), r.err)
	if d := r.at.Sub(killed); d > 5*time.Second {
		t.Errorf("Exec took %s to return after the plugin died", d)
	}
	checkCrashErr(t, p, "Exec", r.err)
	if !p.Exited() {
		t.Error("Exited() = false after the plugin was killed")
	}
	_, err = p.Info(ctx)
	checkCrashErr(t, p, "Info after the crash", err)
	_, err = p.Inspect(ctx, c.ID)
	checkCrashErr(t, p, "Inspect after the crash", err)

	// The container outlives the plugin; a fresh plugin process finds it
	// and removes it.
	start := time.Now()
	if err := p.Relaunch(ctx); err != nil {
		t.Fatalf("Relaunch: %v", err)
	}
	t.Logf("Relaunch took %s", time.Since(start).Round(time.Millisecond))
	if p.Pid() == pid || p.Exited() {
		t.Errorf("after Relaunch: pid %d (was %d), exited %t", p.Pid(), pid, p.Exited())
	}
	if st, err := p.Inspect(ctx, c.ID); err != nil || st.State != sdk.StateRunning {
		t.Errorf("Inspect after Relaunch: %+v, %v; want the container still running", st, err)
	}
	start = time.Now()
	if err := p.Remove(ctx, c.ID, sdk.RemoveOptions{}); err != nil {
		t.Fatalf("Remove after Relaunch: %v", err)
	}
	t.Logf("Remove took %s", time.Since(start).Round(time.Millisecond))
	if st, err := p.Inspect(ctx, c.ID); err != nil || st.State != sdk.StateMissing {
		t.Errorf("Inspect after Remove: %+v, %v; want %s", st, err, sdk.StateMissing)
	}
	list, err := engine.ListContainers(ctx, CrashLabel+"="+value)
	if err != nil {
		t.Fatalf("engine: list containers: %v", err)
	}
	for _, s := range list {
		t.Errorf("container %s (%s) left in the engine", s.ID, s.State)
	}
}

// checkCrashErr asserts err is the error of a call to the dead plugin p:
// an sdk.ErrUnavailable error naming the plugin.
func checkCrashErr(t *testing.T, p *pluginhost.Plugin, what string, err error) {
	t.Helper()
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("%s: %v (class %v), want sdk.ErrUnavailable", what, err, sdk.Class(err))
		return
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("plugin %q", p.Name())) {
		t.Errorf("%s: %q does not name the plugin", what, err)
	}
}

func randHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// signal is a writer that closes seen once want has been written.
type signal struct {
	want string
	seen chan struct{}
	mu   sync.Mutex
	buf  strings.Builder
	once sync.Once
}

func newSignal(want string) *signal {
	return &signal{want: want, seen: make(chan struct{})}
}

func (w *signal) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}
