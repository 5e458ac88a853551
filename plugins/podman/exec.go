package podman

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/containers/podman/v4/pkg/api/handlers"
	"github.com/containers/podman/v4/pkg/bindings/containers"
	docker "github.com/docker/docker/api/types"

	"github.com/envhost/envhost/sdk"
)

// killTimeout bounds the work done after an exec's context is cancelled.
const killTimeout = 5 * time.Second

// Exec runs spec.Cmd in a running container and returns its exit code. Each
// exec attaches over a connection of its own (see attachConn), so concurrent
// execs do not share the transport the bindings swap. Cancelling ctx kills the
// process when the engine allows it (CapExecKill) and returns at once with an
// sdk.ErrCanceled or sdk.ErrDeadlineExceeded error.
func (b *Backend) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	if spec.ContainerID == "" {
		return -1, invalid("podman: exec: no container named")
	}
	if len(spec.Cmd) == 0 {
		return -1, invalid("podman: exec in container %s: empty command", short(spec.ContainerID))
	}
	if err := ctx.Err(); err != nil {
		return -1, classify(err, "podman: exec in container %s", short(spec.ContainerID))
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return -1, err
	}
	cfg := &handlers.ExecCreateConfig{ExecConfig: docker.ExecConfig{
		User:         spec.User,
		WorkingDir:   spec.WorkingDir,
		Env:          envList(spec.Env),
		Cmd:          spec.Cmd,
		AttachStdin:  stdio.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
	}}
	sessionID, err := containers.ExecCreate(cctx, spec.ContainerID, cfg)
	if err != nil {
		return -1, classify(err, "podman: exec %q in container %s", spec.Cmd[0], short(spec.ContainerID))
	}

	actx, release, err := b.attachConn(ctx)
	if err != nil {
		return -1, err
	}
	defer release()

	stdout := &gate{w: stdio.Stdout}
	stderr := &gate{w: stdio.Stderr}
	opts := new(containers.ExecStartAndAttachOptions).
		WithOutputStream(stdout).WithAttachOutput(true).
		WithErrorStream(stderr).WithAttachError(true)
	var stdin *stdinPump
	if stdio.Stdin != nil {
		stdin = pumpStdin(stdio.Stdin)
		opts = opts.WithInputStream(*bufio.NewReader(stdin.r)).WithAttachInput(true)
	}

	done := make(chan error, 1)
	go func() { done <- containers.ExecStartAndAttach(actx, sessionID, opts) }()

	select {
	case err = <-done:
	case <-ctx.Done():
	}
	if stdin != nil {
		stdin.stop()
	}
	if ctx.Err() != nil {
		stdout.close()
		stderr.close()
		b.cancelExec(ctx, sessionID)
		return -1, classify(ctx.Err(), "podman: exec %q in container %s", spec.Cmd[0], short(spec.ContainerID))
	}
	if err != nil {
		return -1, classify(err, "podman: exec %q in container %s", spec.Cmd[0], short(spec.ContainerID))
	}
	return b.exitCode(cctx, sessionID, spec)
}

// exitCode waits for the exec session to be reported as ended and returns
// its exit code.
func (b *Backend) exitCode(cctx context.Context, sessionID string, spec sdk.ExecSpec) (int, error) {
	delay := time.Millisecond
	for {
		s, err := containers.ExecInspect(cctx, sessionID, nil)
		if err != nil {
			return -1, classify(err, "podman: exit code of %q in container %s", spec.Cmd[0], short(spec.ContainerID))
		}
		if !s.Running {
			return s.ExitCode, nil
		}
		select {
		case <-cctx.Done():
			return -1, classify(cctx.Err(), "podman: exec %q in container %s", spec.Cmd[0], short(spec.ContainerID))
		case <-time.After(delay):
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// cancelExec kills a cancelled exec's process, on a context of its own.
func (b *Backend) cancelExec(ctx context.Context, sessionID string) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
	defer cancel()
	k := b.killer()
	if k == nil {
		return
	}
	cctx, err := b.conn(kctx)
	if err != nil {
		b.log.Warn("kill cancelled exec", "session", short(sessionID), "error", err)
		return
	}
	if err := k.kill(cctx, sessionID); err != nil {
		b.log.Warn("kill cancelled exec", "session", short(sessionID), "killer", k.name(), "error", err)
		return
	}
	b.log.Debug("killed cancelled exec", "session", short(sessionID), "killer", k.name())
}

func envList(env map[string]string) []string {
	if len(env) == 0 {
		return nil
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// gate forwards writes to w (discarding when w is nil) until closed; writes
// after close are dropped, so nothing reaches the caller's writers once Exec
// has returned.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.w == nil {
		return len(p), nil
	}
	n, err := g.w.Write(p)
	if err != nil {
		return n, fmt.Errorf("podman: write exec output: %w", err)
	}
	return n, nil
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// stdinPump copies the caller's stdin into a pipe the bindings read, so the
// bindings' copier is released when the exec ends even if the caller's reader
// never returns.
type stdinPump struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func pumpStdin(src io.Reader) *stdinPump {
	r, w := io.Pipe()
	go func() {
		_, err := io.Copy(w, src)
		w.CloseWithError(err) // nil: EOF, which closes the process's stdin
	}()
	return &stdinPump{r: r, w: w}
}

// stop ends the stream the bindings read (with EOF) and fails the pump's
// pending write, so both goroutines end.
func (p *stdinPump) stop() { p.w.Close() }
