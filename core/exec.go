package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/envhost/envhost/sdk"
)

// DefaultExecuteTimeout bounds an Execute without a timeout.
const DefaultExecuteTimeout = 5 * time.Minute

// maxExecuteOutput caps each of Execute's output buffers.
const maxExecuteOutput = 16 << 20

// ExecuteRequest is a one-shot command run outside the shell sessions.
type ExecuteRequest struct {
	Argv    []string          // the command; or
	Shell   string            // a bash script (run as bash -c Shell)
	Env     map[string]string // added to the environment's variables
	Cwd     string            // the repository (or /) when empty
	User    string            // the container's default user when empty
	Timeout time.Duration     // DefaultExecuteTimeout when zero
}

// ExecuteResult is the outcome of Execute.
type ExecuteResult struct {
	Output    string // stdout and stderr interleaved
	Stdout    string
	Stderr    string
	ExitCode  int
	Truncated bool // output exceeded 16 MiB and was cut
	Duration  time.Duration
}

// Execute runs a one-shot process in the container through the backend's
// exec, outside the shell sessions (so it neither sees nor changes their
// state). It gets the container's variables and those set with
// SetEnvVariables. Over its timeout it is stopped and an error matching
// ErrTimeout is returned with the output so far.
func (e *Environment) Execute(ctx context.Context, req ExecuteRequest) (ExecuteResult, error) {
	argv := req.Argv
	switch {
	case len(argv) > 0 && req.Shell != "":
		return ExecuteResult{}, errors.New("execute: set Argv or Shell, not both")
	case req.Shell != "":
		argv = []string{"bash", "-c", req.Shell}
	case len(argv) == 0:
		return ExecuteResult{}, errors.New("execute: no command")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, err := e.running()
	if err != nil {
		return ExecuteResult{}, err
	}
	env := e.sessionEnv()
	maps.Copy(env, req.Env)
	cwd := req.Cwd
	if cwd == "" {
		cwd = e.defaultDir()
	} else if !strings.HasPrefix(cwd, "/") {
		cwd = e.defaultDir() + "/" + cwd
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultExecuteTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out outputs
	start := time.Now()
	code, err := d.backend.Exec(cctx, sdk.ExecSpec{
		ContainerID: d.containerID, Cmd: argv, Env: env, WorkingDir: cwd, User: req.User,
	}, sdk.ExecIO{Stdout: out.writer(&out.stdout), Stderr: out.writer(&out.stderr)})
	res := out.result(code, time.Since(start))
	if err != nil {
		if cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return res, fmt.Errorf("execute %q: timed out after %s: %w", oneLine(strings.Join(argv, " "), 200), timeout, ErrTimeout)
		}
		return res, fmt.Errorf("execute %q: %w", oneLine(strings.Join(argv, " "), 200), err)
	}
	return res, nil
}

// defaultDir is the repository's directory, or / without one.
func (e *Environment) defaultDir() string {
	if e.cfg.Repo != nil {
		return e.cfg.Repo.Dir()
	}
	return "/"
}

// outputs collects an exec's stdout and stderr apart and interleaved.
type outputs struct {
	mu                  sync.Mutex
	all, stdout, stderr strings.Builder
	truncated           bool
}

type outWriter struct {
	o   *outputs
	dst *strings.Builder
}

func (o *outputs) writer(dst *strings.Builder) outWriter { return outWriter{o, dst} }

func (w outWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	for _, b := range []*strings.Builder{&w.o.all, w.dst} {
		room := maxExecuteOutput - b.Len()
		switch {
		case room <= 0:
			w.o.truncated = true
		case len(p) > room:
			b.Write(p[:room])
			w.o.truncated = true
		default:
			b.Write(p)
		}
	}
	return len(p), nil
}

func (o *outputs) result(code int, d time.Duration) ExecuteResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	return ExecuteResult{
		Output: o.all.String(), Stdout: o.stdout.String(), Stderr: o.stderr.String(),
		ExitCode: code, Truncated: o.truncated, Duration: d,
	}
}
