package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/sdk"
)

// DefaultCommandTimeout bounds a Communicate without a timeout (SWE-agent's
// default).
const DefaultCommandTimeout = 25 * time.Second

// Result is the outcome of a command run in a shell session.
type Result struct {
	Output    string        // stdout and stderr, interleaved as the shell saw them
	ExitCode  int           // the command's exit status
	Truncated bool          // Output was cut to the session's output cap
	Duration  time.Duration // wall time of the command
}

// Check says what Communicate does with a nonzero exit code.
type Check int

// Check modes (SWE-agent's check="ignore" / "warn" / "raise").
const (
	CheckIgnore Check = iota // return the result, no error
	CheckWarn                // log a warning and emit a "command" event; no error
	CheckRaise               // return a *CommandError
)

// ParseCheck reads "ignore", "warn" or "raise" ("" is ignore).
func ParseCheck(s string) (Check, error) {
	switch strings.ToLower(s) {
	case "", "ignore":
		return CheckIgnore, nil
	case "warn":
		return CheckWarn, nil
	case "raise":
		return CheckRaise, nil
	}
	return 0, fmt.Errorf("check %q: want ignore, warn or raise", s)
}

// String returns "ignore", "warn" or "raise".
func (c Check) String() string {
	switch c {
	case CheckWarn:
		return "warn"
	case CheckRaise:
		return "raise"
	}
	return "ignore"
}

// CommunicateOptions tune Communicate.
type CommunicateOptions struct {
	Timeout      time.Duration // DefaultCommandTimeout when zero
	Check        Check
	ErrorMessage string // leads the CommandError's message
	Session      string // "" is the default session
}

// CommandError is a command that exited nonzero under CheckRaise.
type CommandError struct {
	Command  string
	ExitCode int
	Output   string // the output's last lines
	Message  string // CommunicateOptions.ErrorMessage
}

func (e *CommandError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "command failed"
	}
	s := fmt.Sprintf("%s: `%s` exited with code %d", msg, oneLine(e.Command, 200), e.ExitCode)
	if e.Output != "" {
		s += "; output (tail):\n" + e.Output
	}
	return s
}

// session is one persistent shell; *shell.Session in production.
type session interface {
	Run(ctx context.Context, cmd string, timeout time.Duration) (Result, error)
	Interrupt(ctx context.Context) error
	Close() error
}

type sessionSpec struct {
	name      string
	env       map[string]string
	workDir   string
	maxOutput int
	log       hclog.Logger
}

type sessionOpener func(ctx context.Context, b sdk.Backend, containerID string, spec sessionSpec) (session, error)

// Communicate runs cmd in a shell session (the default one unless
// opts.Session names another) and returns its output and exit code. Shell
// state (cwd, variables) persists between commands of a session. On timeout
// the command is interrupted, the output so far is returned with an error
// matching ErrTimeout, and the session stays usable.
func (e *Environment) Communicate(ctx context.Context, cmd string, opts CommunicateOptions) (Result, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, err := e.running()
	if err != nil {
		return Result{}, err
	}
	return e.run(ctx, d, cmd, opts)
}

func (e *Environment) run(ctx context.Context, d *deployment, cmd string, opts CommunicateOptions) (Result, error) {
	s, err := d.session(opts.Session)
	if err != nil {
		return Result{}, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	e.log.Trace("run", "session", opts.Session, "cmd", oneLine(cmd, 200))
	res, err := s.Run(ctx, cmd, timeout)
	if err != nil {
		return res, fmt.Errorf("command `%s`: %w", oneLine(cmd, 200), err)
	}
	if res.ExitCode == 0 || opts.Check == CheckIgnore {
		return res, nil
	}
	cerr := &CommandError{Command: cmd, ExitCode: res.ExitCode, Output: tail(res.Output, 20, 2000), Message: opts.ErrorMessage}
	if opts.Check == CheckWarn {
		e.log.Warn("command failed", "cmd", oneLine(cmd, 200), "exit", res.ExitCode, "message", opts.ErrorMessage)
		e.events.emit(Event{Env: e.name, Step: StepCommand, Phase: PhaseEnd, Time: time.Now(), Duration: res.Duration, Err: cerr.Error(), Cause: cerr})
		return res, nil
	}
	return res, cerr
}

// Interrupt sends an interrupt (SIGINT, then SIGKILL) to the command
// running in the named session ("" is the default one).
func (e *Environment) Interrupt(ctx context.Context, sessionName string) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, err := e.running()
	if err != nil {
		return err
	}
	s, err := d.session(sessionName)
	if err != nil {
		return err
	}
	if err := s.Interrupt(ctx); err != nil {
		return fmt.Errorf("interrupt session %q: %w", sessionName, err)
	}
	return nil
}

// OpenSession opens a named shell session (a separate bash with its own
// cwd and variables). Named sessions are reopened, fresh, after restarts
// and hard resets.
func (e *Environment) OpenSession(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("open session: a named session needs a name")
	}
	e.mu.Lock()
	defer e.unlock()
	d, err := e.running()
	if err != nil {
		return err
	}
	if slices.Contains(e.named, name) {
		return fmt.Errorf("open session %q: %w", name, sdk.ErrAlreadyExists)
	}
	s, err := e.openSession(ctx, d.backend, d.containerID, e.sessionSpec(name))
	if err != nil {
		return fmt.Errorf("open session %q: %w", name, err)
	}
	d.smu.Lock()
	d.sessions[name] = s
	d.smu.Unlock()
	e.named = append(e.named, name)
	return nil
}

// CloseSession closes a named session.
func (e *Environment) CloseSession(ctx context.Context, name string) error {
	e.mu.Lock()
	defer e.unlock()
	if !slices.Contains(e.named, name) {
		return fmt.Errorf("close session: %w %q", ErrNoSession, name)
	}
	e.named = slices.DeleteFunc(e.named, func(n string) bool { return n == name })
	if e.cur == nil {
		return nil
	}
	e.cur.smu.Lock()
	s := e.cur.sessions[name]
	delete(e.cur.sessions, name)
	e.cur.smu.Unlock()
	if s != nil {
		return s.Close()
	}
	return nil
}

// Sessions lists the named sessions.
func (e *Environment) Sessions() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.named)
}

// SetEnvVariables exports the variables in every open session and
// remembers them: they are set again after restarts and hard resets, and
// given to Execute. Before Start, they are only remembered.
func (e *Environment) SetEnvVariables(ctx context.Context, vars map[string]string) error {
	keys := slices.Collect(maps.Keys(vars))
	sort.Strings(keys)
	for _, k := range keys {
		if !validEnvName(k) {
			return fmt.Errorf("set env: %q is not a valid variable name", k)
		}
	}
	e.mu.Lock()
	defer e.unlock()
	maps.Copy(e.envVars, vars)
	if e.cur == nil || len(keys) == 0 {
		return nil
	}
	return e.exportAll(ctx, e.cur, vars)
}

// exportAll exports vars in every session of d.
func (e *Environment) exportAll(ctx context.Context, d *deployment, vars map[string]string) error {
	cmd := exportCommand(vars)
	if cmd == "" {
		return nil
	}
	for _, name := range append([]string{""}, e.named...) {
		if _, err := e.run(ctx, d, cmd, CommunicateOptions{Timeout: 30 * time.Second, Check: CheckRaise, Session: name, ErrorMessage: "set env variables"}); err != nil {
			return err
		}
	}
	return nil
}

func exportCommand(vars map[string]string) string {
	keys := slices.Collect(maps.Keys(vars))
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+quote(vars[k]))
	}
	return "export " + strings.Join(parts, " ")
}

// oneLine shortens s to one line of at most n bytes, for messages.
func oneLine(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// tail keeps the last lines (at most maxLines lines and maxBytes bytes) of s.
func tail(s string, maxLines, maxBytes int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) > maxBytes {
		s = "…" + s[len(s)-maxBytes:]
	}
	lines := strings.Split(s, "\n")
	if len(lines) > maxLines {
		lines = append([]string{"…"}, lines[len(lines)-maxLines:]...)
	}
	return strings.Join(lines, "\n")
}
