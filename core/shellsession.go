package core

import (
	"context"
	"fmt"
	"time"

	"github.com/envhost/envhost/core/shell"
	"github.com/envhost/envhost/sdk"
)

// ErrTimeout matches the error of a command that ran over its timeout
// (Communicate and Execute).
var ErrTimeout = shell.ErrTimeout

// ErrInterrupted matches the error of a command stopped by Interrupt.
var ErrInterrupted = shell.ErrInterrupted

// ErrSessionClosed matches the error of a command sent to a closed session.
var ErrSessionClosed = shell.ErrClosed

// quote quotes s for bash.
func quote(s string) string { return shell.Quote(s) }

// shellSession adapts *shell.Session to session.
type shellSession struct{ s *shell.Session }

func openShellSession(ctx context.Context, b sdk.Backend, containerID string, spec sessionSpec) (session, error) {
	s, err := shell.Open(ctx, b, containerID, shell.Options{
		Name:      spec.name,
		Env:       spec.env,
		WorkDir:   spec.workDir,
		MaxOutput: spec.maxOutput,
		Logger:    spec.log,
	})
	if err != nil {
		return nil, fmt.Errorf("open shell: %w", err)
	}
	return shellSession{s}, nil
}

func (s shellSession) Run(ctx context.Context, cmd string, timeout time.Duration) (Result, error) {
	r, err := s.s.Run(ctx, cmd, timeout)
	return Result{Output: r.Output, ExitCode: r.ExitCode, Truncated: r.Truncated, Duration: r.Duration}, err
}

func (s shellSession) Interrupt(ctx context.Context) error { return s.s.Interrupt(ctx) }

func (s shellSession) Close() error { return s.s.Close() }
