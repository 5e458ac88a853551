package shell

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/envhost/envhost/sdk"
)

// localBackend is an sdk.Backend whose Exec runs processes on this machine,
// so the session's framing and signalling run against a real bash without an
// engine. Like runc, it starts each exec in a new session (its own process
// group) unless groupOf is set, which puts execs in that process group
// instead (a shell that does not lead its group).
type localBackend struct {
	groupOf int

	mu     sync.Mutex
	groups []int // process groups started, for killAll
}

// killAll kills what the backend's execs left running (background jobs),
// as removing a container would.
func (l *localBackend) killAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.groups {
		_ = syscall.Kill(-g, syscall.SIGKILL)
	}
	l.groups = nil
}

var _ sdk.Backend = (*localBackend)(nil)

func (l *localBackend) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	cmd := exec.Command(spec.Cmd[0], spec.Cmd[1:]...)
	cmd.Dir = spec.WorkingDir
	if l.groupOf > 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: l.groupOf}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	cmd.WaitDelay = time.Second // a background job may hold stdout open
	cmd.Stdout = orDiscard(stdio.Stdout)
	cmd.Stderr = orDiscard(stdio.Stderr)
	var stdin io.WriteCloser
	if stdio.Stdin != nil {
		var err error
		if stdin, err = cmd.StdinPipe(); err != nil {
			return -1, err
		}
	}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("exec %q: %w", spec.Cmd, sdk.ErrNotFound)
	}
	l.mu.Lock()
	if l.groupOf > 0 {
		l.groups = append(l.groups, l.groupOf)
	} else {
		l.groups = append(l.groups, cmd.Process.Pid)
	}
	l.mu.Unlock()
	if stdin != nil {
		// Not waited for, like an engine's attach: the process may exit
		// while the host still holds its input open.
		go func() {
			_, _ = io.Copy(stdin, stdio.Stdin)
			stdin.Close()
		}()
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), nil
		}
		if err != nil {
			return -1, err
		}
		return 0, nil
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-waited
		return -1, fmt.Errorf("exec: %w", sdk.ErrCanceled)
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func (l *localBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "local"}, nil
}

func (l *localBackend) EnsureImage(context.Context, sdk.ImageRequest, sdk.ProgressFunc) (sdk.Image, error) {
	return sdk.Image{}, sdk.ErrUnimplemented
}

func (l *localBackend) Create(context.Context, sdk.Spec) (sdk.Container, error) {
	return sdk.Container{}, sdk.ErrUnimplemented
}

func (l *localBackend) CopyIn(context.Context, string, string, io.Reader) error {
	return sdk.ErrUnimplemented
}

func (l *localBackend) CopyOut(context.Context, string, string, io.Writer) error {
	return sdk.ErrUnimplemented
}

func (l *localBackend) Inspect(context.Context, string) (sdk.ContainerState, error) {
	return sdk.ContainerState{State: sdk.StateRunning}, nil
}

func (l *localBackend) Remove(context.Context, string, sdk.RemoveOptions) error { return nil }

// slowSignals wraps a backend so signal execs take a while, as on an engine.
type slowSignals struct {
	sdk.Backend
	delay time.Duration
}

func (s slowSignals) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	if len(spec.Cmd) > 3 && spec.Cmd[3] == "envhost-kill" {
		time.Sleep(s.delay)
	}
	return s.Backend.Exec(ctx, spec, stdio)
}

// noBash wraps a backend whose containers have no bash.
type noBash struct{ sdk.Backend }

func (n noBash) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	if len(spec.Cmd) > 0 && spec.Cmd[0] == "bash" {
		spec.Cmd = append([]string{"/nonexistent/bash"}, spec.Cmd[1:]...)
	}
	return n.Backend.Exec(ctx, spec, stdio)
}
