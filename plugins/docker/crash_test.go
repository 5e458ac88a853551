package docker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// crashLabel marks the containers of the crash test, so that the engine can
// be asked, independently of the plugin, whether any is left.
const crashLabel = "io.envhost.test.crash"

// TestPluginCrashMidExec kills the plugin process while an Exec is
// blocked in it: the Exec and every later call fail at once with an
// ErrUnavailable error naming the plugin, and after Relaunch the host can
// still remove the container, so nothing leaks in the engine.
func TestPluginCrashMidExec(t *testing.T) {
	host := testenv.DockerHost(t)
	p := launchPlugin(t).(*pluginhost.Plugin)
	cli := crashEngine(t, host)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	value := crashRandHex()
	c, err := p.Create(ctx, sdk.Spec{Image: testenv.ImagePy311, Labels: map[string]string{crashLabel: value}})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	// Whatever happens, leave nothing behind (through the engine, not the
	// plugin, which may be dead).
	t.Cleanup(func() {
		_, _ = cli.ContainerRemove(context.Background(), c.ID, client.ContainerRemoveOptions{Force: true})
	})

	out := newCrashSignal("started")
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
	crashCheckErr(t, "Exec", r.err)
	if !p.Exited() {
		t.Error("Exited() = false after the plugin was killed")
	}
	_, err = p.Info(ctx)
	crashCheckErr(t, "Info after the crash", err)
	_, err = p.Inspect(ctx, c.ID)
	crashCheckErr(t, "Inspect after the crash", err)

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
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", crashLabel+"="+value)})
	if err != nil {
		t.Fatalf("engine: list containers: %v", err)
	}
	for _, s := range list.Items {
		t.Errorf("container %s (%s) left in the engine", s.ID, s.State)
	}
}

// crashCheckErr asserts err is the error of a call to a dead plugin: an
// sdk.ErrUnavailable error naming the plugin.
func crashCheckErr(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("%s: %v (class %v), want sdk.ErrUnavailable", what, err, sdk.Class(err))
		return
	}
	if !strings.Contains(err.Error(), `plugin "docker"`) {
		t.Errorf("%s: %q does not name the plugin", what, err)
	}
}

// crashEngine is a bare engine client, independent of the plugin.
func crashEngine(t *testing.T, host string) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv, client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func crashRandHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// crashSignal is a writer that closes seen once want has been written.
type crashSignal struct {
	want string
	seen chan struct{}
	mu   sync.Mutex
	buf  strings.Builder
	once sync.Once
}

func newCrashSignal(want string) *crashSignal {
	return &crashSignal{want: want, seen: make(chan struct{})}
}

func (w *crashSignal) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}
