package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/envhost/envhost/sdk"
)

// fakeHost creates fakeEnvs; it records every call so tests can assert
// that refused requests changed nothing.
type fakeHost struct {
	mu    sync.Mutex
	calls []string
	envs  map[string]*fakeEnv
	// createErr, when set, is returned by Create.
	createErr error
}

func newFakeHost() *fakeHost { return &fakeHost{envs: map[string]*fakeEnv{}} }

func (h *fakeHost) record(call string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call)
}

func (h *fakeHost) Calls() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

func (h *fakeHost) Create(_ context.Context, id string, config json.RawMessage) (Env, error) {
	h.record("create " + id)
	if h.createErr != nil {
		return nil, h.createErr
	}
	var cfg struct {
		Deployment struct {
			Image   string `json:"image"`
			Backend string `json:"backend"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, sdk.Errorf(sdk.ErrInvalidArgument, "config: %v", err)
	}
	if cfg.Deployment.Image == "" {
		return nil, sdk.Errorf(sdk.ErrInvalidArgument, "deployment.image: required")
	}
	e := &fakeEnv{host: h, id: id, image: cfg.Deployment.Image, backend: cfg.Deployment.Backend,
		files: map[string][]byte{}, vars: map[string]string{}, created: time.Now().UTC()}
	h.mu.Lock()
	h.envs[id] = e
	h.mu.Unlock()
	return e, nil
}

// fakeEnv is an in-memory environment: files in a map, commands echoed.
type fakeEnv struct {
	host    *fakeHost
	id      string
	mu      sync.Mutex
	image   string
	backend string
	files   map[string][]byte
	vars    map[string]string
	closed  bool
	created time.Time
	subs    []chan Event
}

func (e *fakeEnv) emit(step string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ch := range e.subs {
		ch <- Event{Type: step + ".end", Step: step, Phase: "end", Time: time.Now()}
	}
}

func (e *fakeEnv) Info() EnvInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	state := "running"
	if e.closed {
		state = "closed"
	}
	return EnvInfo{ID: e.id, Backend: e.backend, Image: e.image, State: state, CreatedAt: e.created}
}

func (e *fakeEnv) Communicate(_ context.Context, req CommunicateRequest) (CommunicateResponse, error) {
	e.host.record("communicate " + req.Command)
	switch {
	case req.Command == "false":
		if req.Check == "raise" {
			return CommunicateResponse{}, &fakeOutputErr{sdk.Errorf(sdk.ErrFailedPrecondition, "command failed: exit 1"), "partial"}
		}
		return CommunicateResponse{ExitCode: 1}, nil
	case strings.HasPrefix(req.Command, "sleep"):
		return CommunicateResponse{}, &fakeOutputErr{sdk.Errorf(sdk.ErrDeadlineExceeded, "timed out"), "so far"}
	}
	return CommunicateResponse{Output: strings.TrimPrefix(req.Command, "echo ") + "\n"}, nil
}

type fakeOutputErr struct {
	error
	out string
}

func (e *fakeOutputErr) PartialOutput() string { return e.out }
func (e *fakeOutputErr) Unwrap() error         { return e.error }

func (e *fakeEnv) Execute(_ context.Context, req ExecuteRequest) (ExecuteResponse, error) {
	e.host.record("execute " + strings.Join(req.Command, " "))
	return ExecuteResponse{Stdout: strings.Join(req.Command, " ") + "\n"}, nil
}

func (e *fakeEnv) ReadFile(_ context.Context, path string) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	data, ok := e.files[path]
	if !ok {
		return nil, fmt.Errorf("read %s: %w", path, sdk.ErrNotFound)
	}
	return data, nil
}

func (e *fakeEnv) WriteFile(_ context.Context, path string, data []byte) error {
	e.host.record("write_file " + path)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.files[path] = data
	return nil
}

func (e *fakeEnv) SetEnvVariables(_ context.Context, vars map[string]string) error {
	e.host.record("set_env_variables")
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, v := range vars {
		e.vars[k] = v
	}
	return nil
}

func (e *fakeEnv) Interrupt(context.Context, string) error {
	e.host.record("interrupt")
	return nil
}

func (e *fakeEnv) Reset(context.Context) error {
	e.host.record("reset")
	e.emit("reset")
	return nil
}

func (e *fakeEnv) HardReset(context.Context) error {
	e.host.record("hard_reset")
	e.emit("hard_reset")
	return nil
}

func (e *fakeEnv) RestartWithImage(_ context.Context, image string, _ bool) error {
	e.host.record("restart_with_image " + image)
	if image == "missing:1" {
		return sdk.Errorf(sdk.ErrNotFound, "image %s not found", image)
	}
	e.mu.Lock()
	e.image = image
	e.mu.Unlock()
	e.emit("restart")
	return nil
}

func (e *fakeEnv) RestartWithConfig(_ context.Context, config json.RawMessage, _ bool) error {
	e.host.record("restart_with_config")
	var dep struct {
		Image string `json:"image"`
	}
	if err := json.Unmarshal(config, &dep); err != nil {
		return sdk.Errorf(sdk.ErrInvalidArgument, "config: %v", err)
	}
	e.mu.Lock()
	e.image = dep.Image
	e.mu.Unlock()
	e.emit("restart")
	return nil
}

func (e *fakeEnv) Close(context.Context) error {
	e.host.record("close " + e.id)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	for _, ch := range e.subs {
		close(ch)
	}
	e.subs = nil
	return nil
}

func (e *fakeEnv) Subscribe() (<-chan Event, func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ch := make(chan Event, 16)
	e.subs = append(e.subs, ch)
	return ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for i, c := range e.subs {
			if c == ch {
				e.subs = append(e.subs[:i], e.subs[i+1:]...)
				close(ch)
				return
			}
		}
	}
}
