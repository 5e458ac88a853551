package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/envhost/envhost/sdk"
)

// Run runs cmd in the session's shell, in the shell itself as typed at a
// terminal (so `cd`, `export` and functions persist), with stdin from
// /dev/null and stderr merged into stdout. A timeout > 0 bounds it: past it
// the command is interrupted (SIGINT, then SIGKILL) and Run returns the
// output so far with an error wrapping ErrTimeout; the session stays usable.
// Cancelling ctx interrupts the command the same way and returns ctx's error.
// When the shell exits (`exit 3`) Run returns an error wrapping ErrClosed.
func (s *Session) Run(ctx context.Context, cmd string, timeout time.Duration) (Result, error) {
	if strings.IndexByte(cmd, 0) >= 0 {
		return Result{}, sdk.Errorf(sdk.ErrInvalidArgument, "shell session %q: command holds a NUL byte", s.name)
	}
	select {
	case s.runSem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("shell session %q: waiting for the previous command: %w", s.name, ctx.Err())
	}
	defer func() { <-s.runSem }()
	if s.ended() {
		return Result{}, s.closedError()
	}

	a, b := nonce()
	p := s.newPending(a + b)
	s.fr.expect(p)
	s.mu.Lock()
	s.cur = p
	s.mu.Unlock()
	defer func() {
		// A signal exec in flight (Interrupt) lands before the next command.
		s.sigMu.Lock()
		s.mu.Lock()
		s.cur = nil
		s.mu.Unlock()
		s.sigMu.Unlock()
	}()

	start := time.Now()
	if _, err := io.WriteString(s.stdin, commandScript(cmd, a, b)); err != nil {
		<-s.execDone
		<-p.done
		return s.result(p, start), s.closedError()
	}
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-p.done:
		return s.finish(p, start)
	case <-timer:
		if isDone(p) {
			return s.finish(p, start)
		}
		s.log.Info("command timed out; interrupting it", "timeout", timeout)
		s.stop(p)
		res, err := s.finish(p, start)
		if err != nil && !errors.Is(err, ErrInterrupted) {
			return res, fmt.Errorf("shell session %q: command timed out after %s (%w) and then: %w", s.name, timeout, ErrTimeout, err)
		}
		return res, fmt.Errorf("shell session %q: command timed out after %s: %w", s.name, timeout, ErrTimeout)
	case <-ctx.Done():
		s.log.Info("command abandoned; interrupting it", "reason", ctx.Err())
		if isDone(p) {
			return s.finish(p, start)
		}
		s.stop(p)
		res, err := s.finish(p, start)
		if err != nil && !errors.Is(err, ErrInterrupted) {
			return res, fmt.Errorf("shell session %q: command interrupted (%w) and then: %w", s.name, ctx.Err(), err)
		}
		return res, fmt.Errorf("shell session %q: command interrupted: %w", s.name, ctx.Err())
	}
}

// Interrupt stops the running command, if any, as Ctrl-C would: SIGINT to its
// processes and to the shell (which ends the command, loops included), then
// SIGKILL to the command's processes after a grace period if it is still
// running. It returns once the command has ended (its Run returns
// ErrInterrupted) or ctx is done. The session stays usable.
func (s *Session) Interrupt(ctx context.Context) error {
	s.mu.Lock()
	p := s.cur
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	p.interrupted.Store(true)
	done := make(chan struct{})
	go func() {
		s.stop(p)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shell session %q: interrupt: %w", s.name, ctx.Err())
	}
}

// stop ends command p: SIGINT, then rounds of SIGKILL; a command that
// survives them all costs the session, which is closed.
func (s *Session) stop(p *pending) {
	if err := s.signal(p, "INT"); err != nil {
		s.log.Warn("interrupt failed", "error", err)
	}
	if waitDone(p, s.tm.interruptGrace) {
		return
	}
	for range s.tm.killRounds {
		s.log.Debug("command still running; killing it")
		if err := s.signal(p, "KILL"); err != nil {
			s.log.Warn("kill failed", "error", err)
		}
		if waitDone(p, s.tm.killRetry) {
			return
		}
	}
	s.log.Error("command survived SIGKILL; closing the session")
	s.Close()
	<-p.done
}

// signal sends sig ("INT" or "KILL") to command p through a second exec, as
// killScript describes. It does nothing once p has ended.
func (s *Session) signal(p *pending, sig string) error {
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	if isDone(p) {
		return nil
	}
	if s.pid <= 0 {
		return fmt.Errorf("shell session %q: shell pid unknown", s.name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.tm.signalTimeout)
	defer cancel()
	start := time.Now()
	defer func() { s.log.Debug("signal sent", "signal", sig, "took", time.Since(start)) }()
	var out bytes.Buffer
	code, err := s.b.Exec(ctx, sdk.ExecSpec{
		ContainerID: s.container,
		Cmd:         []string{"bash", "-c", killScript, "envhost-kill", sig, strconv.Itoa(s.pid)},
	}, sdk.ExecIO{Stdout: &out, Stderr: &out})
	if err != nil {
		return fmt.Errorf("shell session %q: send SIG%s: %w", s.name, sig, err)
	}
	if code != 0 {
		return fmt.Errorf("shell session %q: send SIG%s: exit code %d: %s", s.name, sig, code, strings.TrimSpace(out.String()))
	}
	return nil
}

func isDone(p *pending) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func waitDone(p *pending, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

func (s *Session) result(p *pending, start time.Time) Result {
	out, trunc := p.out.String()
	return Result{Output: out, Truncated: trunc, Duration: time.Since(start)}
}

// finish reads the result of ended command p.
func (s *Session) finish(p *pending, start time.Time) (Result, error) {
	res := s.result(p, start)
	if p.ended {
		res.ExitCode = -1
		return res, s.closedError()
	}
	fields := strings.Fields(p.trailer)
	code, err := 0, error(nil)
	if len(fields) > 0 {
		code, err = strconv.Atoi(fields[0])
	}
	if len(fields) == 0 || len(fields) > 2 || err != nil || (len(fields) == 2 && fields[1] != "exit") {
		res.ExitCode = -1
		return res, fmt.Errorf("shell session %q: bad end marker %q", s.name, p.trailer)
	}
	res.ExitCode = code
	if len(fields) == 2 {
		s.shellExited(code)
		return res, s.closedError()
	}
	if s.closed.Load() {
		// Close killed the command.
		return res, s.closedError()
	}
	if p.interrupted.Load() {
		return res, fmt.Errorf("shell session %q: %w", s.name, ErrInterrupted)
	}
	return res, nil
}

// shellExited records that the shell exited with code (its EXIT trap said
// so). A background job may still hold the exec's output open, so the exec
// is cancelled unless it ends by itself shortly.
func (s *Session) shellExited(code int) {
	s.exitCode.Store(int64(code))
	s.exited.Store(true)
	go func() {
		select {
		case <-s.execDone:
		case <-time.After(s.tm.exitedGrace):
			s.log.Debug("shell exited but its output stream is still open; cancelling the exec")
			s.cancelExec()
		}
	}()
}

// ended reports whether the session can run no more commands.
func (s *Session) ended() bool {
	if s.closed.Load() || s.exited.Load() {
		return true
	}
	select {
	case <-s.execDone:
		return true
	default:
		return false
	}
}

// closedError says why the session ended.
func (s *Session) closedError() error {
	if s.closed.Load() {
		return fmt.Errorf("shell session %q: %w", s.name, ErrClosed)
	}
	if s.exited.Load() {
		return fmt.Errorf("shell session %q ended: the shell exited with code %d: %w", s.name, s.exitCode.Load(), ErrClosed)
	}
	<-s.execDone
	if s.execErr != nil {
		return fmt.Errorf("shell session %q ended: %w: %w", s.name, ErrClosed, s.execErr)
	}
	return fmt.Errorf("shell session %q ended: the shell exited with code %d: %w", s.name, s.execCode, ErrClosed)
}
