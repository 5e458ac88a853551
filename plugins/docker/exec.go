package docker

import (
	"context"
	"fmt"
	"io"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/envhost/envhost/sdk"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// Exec runs spec.Cmd in a running container, streaming stdio, and returns
// its exit code. The output is demultiplexed as it arrives; stdin EOF closes
// the process's stdin. Cancelling ctx closes the stream and, when the
// engine's processes are visible to this process, kills the exec's process
// tree.
func (b *Backend) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	id := spec.ContainerID
	if len(spec.Cmd) == 0 {
		return -1, sdk.Errorf(sdk.ErrInvalidArgument, "exec in container %s: empty command", id)
	}
	if ctx.Err() != nil {
		return -1, ctxErr(ctx, fmt.Sprintf("exec in container %s", id))
	}
	created, err := b.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		User:         spec.User,
		AttachStdin:  stdio.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
		Env:          envList(spec.Env),
		WorkingDir:   spec.WorkingDir,
		Cmd:          spec.Cmd,
	})
	if err != nil {
		class := errClass(err)
		if cerrdefs.IsConflict(err) { // the container is not running
			class = sdk.ErrFailedPrecondition
		}
		return -1, wrapAs(class, err, "exec in container %s", id)
	}
	att, err := b.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return -1, wrap(err, "attach to exec in container %s", id)
	}
	defer att.Close()

	if stdio.Stdin != nil {
		go func() {
			// This goroutine may outlive Exec when stdio.Stdin blocks; its
			// writes then fail on the closed connection.
			if _, err := io.Copy(att.Conn, stdio.Stdin); err != nil {
				b.log.Debug("exec stdin", "container", id, "error", err)
			}
			if err := att.CloseWrite(); err != nil {
				b.log.Debug("exec stdin close", "container", id, "error", err)
			}
		}()
	}

	outDone := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(orDiscard(stdio.Stdout), orDiscard(stdio.Stderr), att.Reader)
		outDone <- err
	}()
	select {
	case err := <-outDone:
		if ctx.Err() != nil {
			b.stopExec(created.ID, id)
			return -1, ctxErr(ctx, fmt.Sprintf("exec %q in container %s", spec.Cmd[0], id))
		}
		if err != nil {
			return -1, wrapAs(sdk.ErrUnavailable, err, "exec %q in container %s: output stream", spec.Cmd[0], id)
		}
	case <-ctx.Done():
		b.stopExec(created.ID, id)
		att.Close()
		<-outDone
		return -1, ctxErr(ctx, fmt.Sprintf("exec %q in container %s", spec.Cmd[0], id))
	}
	return b.exitCode(ctx, created.ID, id)
}

// exitCode waits for a drained exec to be reported finished and returns its
// exit code.
func (b *Backend) exitCode(ctx context.Context, execID, containerID string) (int, error) {
	delay := time.Millisecond
	for {
		res, err := b.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			if ctx.Err() != nil {
				b.stopExec(execID, containerID)
				return -1, ctxErr(ctx, fmt.Sprintf("exec in container %s", containerID))
			}
			return -1, wrap(err, "inspect exec in container %s", containerID)
		}
		if !res.Running {
			return res.ExitCode, nil
		}
		// The output ended but the process lives on (it closed its stdout
		// and stderr): wait for it.
		select {
		case <-ctx.Done():
			b.stopExec(execID, containerID)
			return -1, ctxErr(ctx, fmt.Sprintf("exec in container %s", containerID))
		case <-time.After(delay):
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// stopExec kills a cancelled exec's process tree when this process can, and
// logs otherwise. It checks that the process is gone and tries again for a
// short while: under load the engine may report the exec before its pid, and
// a process may fork between the scan of /proc and the signals.
func (b *Backend) stopExec(execID, containerID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for attempt := 0; ; attempt++ {
		res, err := b.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		switch {
		case err != nil:
			b.log.Warn("cancelled exec: inspect failed, process left running", "container", containerID, "error", err)
			return
		case !res.Running:
			return
		case !b.canKill:
			b.log.Warn("cancelled exec: engine processes not visible, process left running", "container", containerID, "pid", res.PID)
			return
		case res.PID > 0:
			n, err := killTree(res.PID, res.ContainerID)
			if err != nil {
				b.log.Warn("cancelled exec: kill failed", "container", containerID, "pid", res.PID, "error", err)
			} else {
				b.log.Debug("cancelled exec killed", "container", containerID, "pid", res.PID, "processes", n, "attempt", attempt)
			}
		}
		select {
		case <-ctx.Done():
			b.log.Warn("cancelled exec: still running after kill attempts", "container", containerID)
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
