package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core"
	"github.com/envhost/envhost/sdk"
)

// CoreHost is the Host over package core: each environment is a
// *core.Environment started from the request's config.
type CoreHost struct {
	// Logger for the environments; nil means hclog.Default().
	Logger hclog.Logger
	// PluginDirs are searched for backend plugins before the config's
	// plugin_dirs and the default places.
	PluginDirs []string
	// Options are added to every core.New call (snapshot dir, ...).
	Options []core.Option
}

var _ Host = (*CoreHost)(nil)

// Create parses config (JSON is YAML, so core.ParseConfig reads it with the
// config file's keys and checks), names the environment id when the config
// names none, and starts it.
func (h *CoreHost) Create(ctx context.Context, id string, config json.RawMessage) (Env, error) {
	cfg, err := core.ParseConfig(config)
	if err != nil {
		return nil, invalid(err)
	}
	if cfg.Name == "" {
		cfg.Name = id
	}
	cfg.PluginDirs = append(append([]string(nil), h.PluginDirs...), cfg.PluginDirs...)
	log := h.Logger
	if log == nil {
		log = hclog.Default()
	}
	opts := append([]core.Option{core.WithLogger(log)}, h.Options...)
	e, err := core.New(cfg, opts...)
	if err != nil {
		return nil, invalid(err)
	}
	if err := e.Start(ctx); err != nil {
		_ = e.Close(context.WithoutCancel(ctx))
		return nil, classed(err)
	}
	return &coreEnv{id: id, env: e, created: time.Now().UTC()}, nil
}

// coreEnv adapts a *core.Environment to Env.
type coreEnv struct {
	id      string
	env     *core.Environment
	created time.Time
}

func (c *coreEnv) Info() EnvInfo {
	return EnvInfo{
		ID:        c.id,
		Name:      c.env.Name(),
		Backend:   c.env.BackendName(),
		Image:     c.env.Image(),
		Container: c.env.ContainerID(),
		State:     string(c.env.State()),
		CreatedAt: c.created,
	}
}

func (c *coreEnv) Communicate(ctx context.Context, req CommunicateRequest) (CommunicateResponse, error) {
	check, err := core.ParseCheck(req.Check)
	if err != nil {
		return CommunicateResponse{}, invalid(err)
	}
	res, err := c.env.Communicate(ctx, req.Command, core.CommunicateOptions{
		Timeout:      seconds(req.Timeout),
		Check:        check,
		ErrorMessage: req.ErrorMsg,
		Session:      req.Session,
	})
	if err != nil {
		return CommunicateResponse{}, withOutput(classed(err), res.Output)
	}
	return CommunicateResponse{Output: res.Output, ExitCode: res.ExitCode, Truncated: res.Truncated}, nil
}

func (c *coreEnv) Execute(ctx context.Context, req ExecuteRequest) (ExecuteResponse, error) {
	res, err := c.env.Execute(ctx, core.ExecuteRequest{
		Argv: req.Command, Shell: req.Shell, Env: req.Env, Cwd: req.Workdir, User: req.User,
		Timeout: seconds(req.Timeout),
	})
	if err != nil {
		return ExecuteResponse{}, withOutput(classed(err), res.Output)
	}
	return ExecuteResponse{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode, Truncated: res.Truncated}, nil
}

func (c *coreEnv) ReadFile(ctx context.Context, path string) ([]byte, error) {
	data, err := c.env.ReadFile(ctx, path)
	return data, classed(err)
}

func (c *coreEnv) WriteFile(ctx context.Context, path string, data []byte) error {
	return classed(c.env.WriteFile(ctx, path, data))
}

func (c *coreEnv) SetEnvVariables(ctx context.Context, vars map[string]string) error {
	return classed(c.env.SetEnvVariables(ctx, vars))
}

func (c *coreEnv) Interrupt(ctx context.Context, session string) error {
	return classed(c.env.Interrupt(ctx, session))
}

func (c *coreEnv) Reset(ctx context.Context) error { return classed(c.env.Reset(ctx)) }

func (c *coreEnv) HardReset(ctx context.Context) error { return classed(c.env.HardReset(ctx)) }

func (c *coreEnv) RestartWithImage(ctx context.Context, image string, preserve bool) error {
	return classed(c.env.RestartWithImage(ctx, image, preserve))
}

// RestartWithConfig reads deployment as the config file's deployment
// section (so its keys and checks are the file's).
func (c *coreEnv) RestartWithConfig(ctx context.Context, deployment json.RawMessage, preserve bool) error {
	wrapped, err := json.Marshal(map[string]json.RawMessage{"deployment": deployment})
	if err != nil {
		return invalid(err)
	}
	cfg, err := core.ParseConfig(wrapped)
	if err != nil {
		return invalid(err)
	}
	return classed(c.env.RestartWithConfig(ctx, cfg.Deployment, preserve))
}

func (c *coreEnv) Close(ctx context.Context) error { return classed(c.env.Close(ctx)) }

// Subscribe converts core events to API events. After cancel, events still
// in flight are dropped, so the converter never blocks on a reader that left.
func (c *coreEnv) Subscribe() (<-chan Event, func()) {
	in, cancelCore := c.env.Subscribe()
	out := make(chan Event, 64)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for ev := range in {
			select {
			case out <- eventOf(ev):
			case <-done:
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			close(done)
			cancelCore()
		})
	}
}

func eventOf(ev core.Event) Event {
	out := Event{
		Type: ev.Step + "." + ev.Phase, Env: ev.Env, Step: ev.Step, Phase: ev.Phase, Time: ev.Time,
		Error: ev.Err, Detail: ev.Detail,
	}
	if ev.Duration > 0 {
		out.DurationMS = float64(ev.Duration) / float64(time.Millisecond)
	}
	if p := ev.Progress; p != nil {
		out.Progress = &EventProgress{Status: p.Status, Layer: p.Layer, Current: p.Current, Total: p.Total}
	}
	return out
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// classedError gives an error of core an sdk class (and the output the
// command printed), keeping its message.
type classedError struct {
	err    error
	class  error
	output string
}

func (e *classedError) Error() string { return e.err.Error() }
func (e *classedError) Unwrap() []error {
	if e.class == nil {
		return []error{e.err}
	}
	return []error{e.err, e.class}
}
func (e *classedError) PartialOutput() string { return e.output }

// invalid marks err as an invalid argument (a bad config).
func invalid(err error) error {
	if err == nil || sdk.Class(err) != nil {
		return err
	}
	return &classedError{err: err, class: sdk.ErrInvalidArgument}
}

// classed gives core's own errors their class: a timeout is
// DeadlineExceeded, a failed check or a closed or not-running environment
// is FailedPrecondition, an unknown session is NotFound. Errors that
// already carry a class keep it.
func classed(err error) error {
	if err == nil {
		return nil
	}
	var cmdErr *core.CommandError
	switch {
	case errors.Is(err, core.ErrTimeout):
		return &classedError{err: err, class: sdk.ErrDeadlineExceeded}
	case errors.As(err, &cmdErr):
		return &classedError{err: err, class: sdk.ErrFailedPrecondition, output: cmdErr.Output}
	case sdk.Class(err) != nil:
		return err
	case errors.Is(err, core.ErrNoSession):
		return &classedError{err: err, class: sdk.ErrNotFound}
	case errors.Is(err, core.ErrClosed), errors.Is(err, core.ErrNotRunning):
		return &classedError{err: err, class: sdk.ErrFailedPrecondition}
	}
	return err
}

// withOutput attaches output to err when it carries none yet.
func withOutput(err error, output string) error {
	if err == nil || output == "" {
		return err
	}
	var ce *classedError
	if errors.As(err, &ce) {
		if ce.output == "" {
			ce.output = output
		}
		return err
	}
	return &classedError{err: err, class: sdk.Class(err), output: output}
}
