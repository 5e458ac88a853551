package httpapi

import (
	"context"
	"encoding/json"
	"time"
)

// Host creates environments. The server keeps the environments it creates
// and closes them on shutdown. NewCoreHost is the implementation over
// package core; tests may use fakes.
type Host interface {
	// Create builds an environment named id from config (a JSON document of
	// the same shape as the YAML config file) and starts it.
	Create(ctx context.Context, id string, config json.RawMessage) (Env, error)
}

// Env is one started environment as the HTTP API drives it.
type Env interface {
	Info() EnvInfo
	Communicate(ctx context.Context, req CommunicateRequest) (CommunicateResponse, error)
	Execute(ctx context.Context, req ExecuteRequest) (ExecuteResponse, error)
	ReadFile(ctx context.Context, path string) ([]byte, error)
	WriteFile(ctx context.Context, path string, data []byte) error
	SetEnvVariables(ctx context.Context, vars map[string]string) error
	Interrupt(ctx context.Context, session string) error
	Reset(ctx context.Context) error
	HardReset(ctx context.Context) error
	RestartWithImage(ctx context.Context, image string, preserveRepoState bool) error
	// RestartWithConfig restarts with a new deployment config (the
	// "deployment" section of the config file, as JSON).
	RestartWithConfig(ctx context.Context, deployment json.RawMessage, preserveRepoState bool) error
	Close(ctx context.Context) error
	// Subscribe delivers the environment's events until cancel is called
	// or the environment closes (then the channel is closed).
	Subscribe() (events <-chan Event, cancel func())
}

// EnvInfo describes an environment in responses.
type EnvInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Backend   string    `json:"backend"`
	Image     string    `json:"image"`
	Container string    `json:"container,omitempty"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
}

// CommunicateRequest is the body of POST .../communicate.
type CommunicateRequest struct {
	Command  string  `json:"command"`
	Timeout  float64 `json:"timeout,omitempty"` // seconds; 0 means the default
	Check    string  `json:"check,omitempty"`   // ignore (default), warn, raise
	ErrorMsg string  `json:"error_msg,omitempty"`
	Session  string  `json:"session,omitempty"`
}

// CommunicateResponse is the answer of POST .../communicate.
type CommunicateResponse struct {
	Output    string `json:"output"`
	ExitCode  int    `json:"exit_code"`
	Truncated bool   `json:"truncated,omitempty"`
}

// ExecuteRequest is the body of POST .../execute: a one-shot process
// outside the shell sessions, given as an argv (Command) or a bash script
// (Shell).
type ExecuteRequest struct {
	Command []string          `json:"command,omitempty"`
	Shell   string            `json:"shell,omitempty"`
	Timeout float64           `json:"timeout,omitempty"` // seconds; 0 means the default
	Env     map[string]string `json:"env,omitempty"`
	Workdir string            `json:"workdir,omitempty"`
	User    string            `json:"user,omitempty"`
}

// ExecuteResponse is the answer of POST .../execute.
type ExecuteResponse struct {
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr"`
	ExitCode  int    `json:"exit_code"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Event is one environment event, as sent on the SSE stream: every
// lifecycle step emits a "begin" and an "end" event (with its duration and,
// when it failed, its error); image pulls emit "progress" events.
type Event struct {
	Type       string         `json:"type"` // "<step>.<phase>", e.g. "restart.end"
	Env        string         `json:"env,omitempty"`
	Step       string         `json:"step"`
	Phase      string         `json:"phase"`
	Time       time.Time      `json:"time"`
	DurationMS float64        `json:"duration_ms,omitempty"`
	Error      string         `json:"error,omitempty"`
	Detail     string         `json:"detail,omitempty"`
	Progress   *EventProgress `json:"progress,omitempty"`
}

// EventProgress is an image pull's progress.
type EventProgress struct {
	Status  string `json:"status,omitempty"`
	Layer   string `json:"layer,omitempty"`
	Current int64  `json:"current,omitempty"`
	Total   int64  `json:"total,omitempty"`
}
