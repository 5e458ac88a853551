// Package core is the envhost host: an Environment is a container with a
// repository inside, persistent shell sessions, file access and a lifecycle
// (start, reset, restart with another image or deployment config, close),
// run identically over any engine backend plugin.
package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/sdk"
)

// State is an environment's lifecycle state.
type State string

// Environment states.
const (
	StateNew        State = "new"        // created, not started
	StateStarting   State = "starting"   // Start or HardReset in progress
	StateRunning    State = "running"    // a container runs and its shell answers
	StateRestarting State = "restarting" // a restart is in progress
	StateFailed     State = "failed"     // no running container: the last start or restart failed
	StateClosed     State = "closed"     // closed for good
)

// Errors of the environment.
var (
	// ErrNotRunning: the environment has no running container.
	ErrNotRunning = errors.New("environment not running")
	// ErrClosed: the environment was closed.
	ErrClosed = errors.New("environment closed")
	// ErrNotFound: a file or path does not exist in the container.
	ErrNotFound = sdk.ErrNotFound
	// ErrNoSession: no session of that name.
	ErrNoSession = errors.New("no such session")
)

// Backend is an opened engine backend: the sdk contract plus Close, which
// ends its plugin process (if any).
type Backend interface {
	sdk.Backend
	Close() error
}

// BackendOpener opens the backend of the given name ("docker", "podman",
// or another plugin's name).
type BackendOpener func(ctx context.Context, name string) (Backend, error)

// InProcess wraps an in-process sdk.Backend as a Backend whose Close does
// nothing, for embedding a backend without a plugin process.
func InProcess(b sdk.Backend) Backend { return nopCloser{b} }

type nopCloser struct{ sdk.Backend }

func (nopCloser) Close() error { return nil }

// Option configures New.
type Option func(*Environment)

// WithLogger sets the logger (hclog's default logger otherwise).
func WithLogger(l hclog.Logger) Option { return func(e *Environment) { e.log = l } }

// WithEventHandler registers a handler called synchronously for every event.
func WithEventHandler(h EventHandler) Option {
	return func(e *Environment) { e.events.handlers = append(e.events.handlers, h) }
}

// WithBackendOpener replaces how backends are opened (by default, launching
// plugins found in Config.PluginDirs and the default plugin directories).
func WithBackendOpener(o BackendOpener) Option { return func(e *Environment) { e.opener = o } }

// WithKeepOldUntilReady makes restarts create and initialise the new
// container while the old one still runs: a failed restart leaves the old
// container current and untouched (instant rollback); a successful one
// removes the old container last. It costs the memory of two containers
// during a restart.
func WithKeepOldUntilReady(keep bool) Option { return func(e *Environment) { e.keepOld = keep } }

// WithSnapshotDir sets the host directory for repository snapshots taken by
// restarts with preserveRepoState (os.TempDir() otherwise).
func WithSnapshotDir(dir string) Option { return func(e *Environment) { e.snapshotDir = dir } }

// WithMaxOutput caps the output kept per command (bytes; the shell's
// default when zero).
func WithMaxOutput(n int) Option { return func(e *Environment) { e.maxOutput = n } }

// Environment is a sandboxed container environment for a coding agent. Its
// methods are safe for concurrent use: commands in different sessions run
// concurrently; lifecycle calls (restart, reset, close) wait for running
// commands and hold new ones until they are done.
type Environment struct {
	name        string
	log         hclog.Logger
	events      hub
	opener      BackendOpener
	openSession sessionOpener
	keepOld     bool
	snapshotDir string
	maxOutput   int

	mu       sync.RWMutex // write: lifecycle; read: operations on the current container
	cfg      Config
	state    State
	cur      *deployment // nil when no container runs
	backends map[string]Backend
	envVars  map[string]string // from SetEnvVariables
	named    []string          // named sessions, reopened after restarts
	pending  *snapshot         // repository snapshot not yet landed in a running container
	lastErr  error
	info     atomic.Pointer[envInfo]
}

// New returns an environment for cfg (defaults filled in, validated). It
// does not start anything; call Start.
func New(cfg Config, opts ...Option) (*Environment, error) {
	cfg = cfg.Clone().WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid config: %w", err)
	}
	if cfg.Repo != nil && cfg.Repo.Path != "" {
		abs, err := filepath.Abs(cfg.Repo.Path)
		if err != nil {
			return nil, fmt.Errorf("repo.path: %w", err)
		}
		cfg.Repo.Path = abs
		if err := isGitWorkTree(abs); err != nil {
			return nil, fmt.Errorf("repo.path: %w", err)
		}
	}
	e := &Environment{
		name:        cfg.Name,
		cfg:         cfg,
		state:       StateNew,
		backends:    map[string]Backend{},
		envVars:     map[string]string{},
		openSession: openShellSession,
	}
	for _, o := range opts {
		o(e)
	}
	e.publish()
	if e.log == nil {
		e.log = hclog.Default()
	}
	e.log = e.log.Named("env").With("env", e.name)
	if e.opener == nil {
		e.opener = pluginOpener(cfg.PluginDirs, e.log)
	}
	return e, nil
}

// Name is the environment's name.
func (e *Environment) Name() string { return e.name }

// State reports the lifecycle state.
func (e *Environment) State() State { return e.info.Load().state }

// Err is the error of the last failed start or restart (nil after a success).
func (e *Environment) Err() error { return e.info.Load().err }

// Config returns a copy of the current config (its deployment is the one
// of the running container, after restarts).
func (e *Environment) Config() Config { return e.info.Load().cfg.Clone() }

// ContainerID is the current container's id ("" when none runs).
func (e *Environment) ContainerID() string { return e.info.Load().containerID }

// Image is the current deployment's image.
func (e *Environment) Image() string { return e.info.Load().cfg.Deployment.Image }

// BackendName is the current deployment's backend.
func (e *Environment) BackendName() string { return e.info.Load().cfg.Deployment.Backend }

// RepoDir is the repository's path in the container ("" when no repo).
func (e *Environment) RepoDir() string {
	if e.cfg.Repo == nil {
		return ""
	}
	return e.cfg.Repo.Dir()
}

// PendingSnapshot is the host path of a repository snapshot that a failed
// restart kept (the next restart with preserveRepoState restores it), or "".
func (e *Environment) PendingSnapshot() string { return e.info.Load().pending }

// envInfo is what the accessors report, published after every lifecycle
// change so that they never wait for a lifecycle call (and are safe to use
// from event handlers).
type envInfo struct {
	state       State
	err         error
	cfg         Config
	containerID string
	pending     string
	dep         *deployment
}

// publish refreshes the accessors' view. Callers hold e.mu for writing.
func (e *Environment) publish() {
	in := &envInfo{state: e.state, err: e.lastErr, cfg: e.cfg.Clone()}
	if e.cur != nil {
		in.containerID, in.dep = e.cur.containerID, e.cur
	}
	if e.pending != nil {
		in.pending = e.pending.path
	}
	e.info.Store(in)
}

// unlock publishes and releases e.mu.
func (e *Environment) unlock() {
	e.publish()
	e.mu.Unlock()
}

// Env returns the variables set with SetEnvVariables.
func (e *Environment) Env() map[string]string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return maps.Clone(e.envVars)
}

// Start opens the backend, makes the image available, creates the
// container, opens the default shell session, puts the repository in place
// (copied or cloned if absent, then reset to the base commit) and runs the
// post-startup commands. Each step is an event.
func (e *Environment) Start(ctx context.Context) (err error) {
	e.mu.Lock()
	defer e.unlock()
	switch e.state {
	case StateClosed:
		return ErrClosed
	case StateRunning:
		return errors.New("environment already started")
	}
	end := e.step(StepStart, e.cfg.Deployment.Image)
	defer func() { end(err, "") }()
	e.state = StateStarting
	e.publish()
	d, err := e.bringUp(ctx, e.cfg.Deployment, repoFresh, nil)
	if err != nil {
		e.state, e.lastErr = StateFailed, err
		return fmt.Errorf("start %s: %w", e.name, err)
	}
	e.cur, e.state, e.lastErr = d, StateRunning, nil
	return nil
}

// HardReset closes the container and starts a fresh one from the current
// config (repository copied and reset anew). Variables set with
// SetEnvVariables are applied again.
func (e *Environment) HardReset(ctx context.Context) (err error) {
	e.mu.Lock()
	defer e.unlock()
	if e.state == StateClosed {
		return ErrClosed
	}
	end := e.step(StepHardReset, e.cfg.Deployment.Image)
	defer func() { end(err, "") }()
	if e.cur != nil {
		_ = e.closeDeployment(e.cur, e.cur.cfg.ShouldRemoveContainer(), false)
		e.cur = nil
	}
	e.state = StateStarting
	e.publish()
	d, err := e.bringUp(ctx, e.cfg.Deployment, repoFresh, nil)
	if err != nil {
		e.state, e.lastErr = StateFailed, err
		return fmt.Errorf("hard reset %s: %w", e.name, err)
	}
	e.cur, e.state, e.lastErr = d, StateRunning, nil
	e.closeUnusedBackends()
	return nil
}

// Close kills any command still running, closes the sessions, removes the container (unless the deployment
// says remove_container: false; the image too with remove_image) and ends
// the backend plugin processes. It is idempotent. A repository snapshot
// kept by a failed restart stays on the host; its path is logged.
func (e *Environment) Close(ctx context.Context) error {
	// End the sessions first: a command still running (which holds the
	// environment) is killed rather than waited for.
	if d := e.info.Load().dep; d != nil {
		d.closeSessions(e)
	}
	e.mu.Lock()
	defer e.unlock()
	if e.state == StateClosed {
		return nil
	}
	var err error
	if e.cur != nil {
		err = e.closeDeployment(e.cur, e.cur.cfg.ShouldRemoveContainer(), e.cur.cfg.RemoveImage)
		e.cur = nil
	}
	for name, b := range e.backends {
		if cerr := b.Close(); cerr != nil {
			e.log.Warn("closing backend", "backend", name, "error", cerr)
		}
		delete(e.backends, name)
	}
	if e.pending != nil {
		e.log.Warn("a repository snapshot from a failed restart was never restored; it is kept", "path", e.pending.path)
	}
	e.state = StateClosed
	e.events.closeAll()
	return err
}

// running returns the current deployment, or an error saying why there is
// none. Callers hold e.mu (read or write).
func (e *Environment) running() (*deployment, error) {
	switch {
	case e.state == StateClosed:
		return nil, ErrClosed
	case e.cur == nil && e.lastErr != nil:
		return nil, fmt.Errorf("%w (last start or restart failed: %v)", ErrNotRunning, e.lastErr)
	case e.cur == nil:
		return nil, ErrNotRunning
	}
	return e.cur, nil
}

// backend returns the opened backend of that name, opening it if needed.
func (e *Environment) backend(ctx context.Context, name string) (Backend, error) {
	if b, ok := e.backends[name]; ok {
		// A plugin whose process died is started afresh, so that a restart
		// or hard reset recovers from a plugin crash.
		if r, ok := b.(relauncher); ok && r.Exited() {
			e.log.Warn("backend plugin exited; relaunching", "backend", name)
			if err := r.Relaunch(ctx); err != nil {
				return nil, fmt.Errorf("relaunch backend %q: %w", name, err)
			}
		}
		return b, nil
	}
	end := e.step(StepBackend, name)
	b, err := e.opener(ctx, name)
	end(err, name)
	if err != nil {
		return nil, fmt.Errorf("open backend %q: %w", name, err)
	}
	e.backends[name] = b
	return b, nil
}

// relauncher is a backend plugin that can be restarted after a crash
// (*pluginhost.Plugin).
type relauncher interface {
	Exited() bool
	Relaunch(ctx context.Context) error
}

// closeUnusedBackends ends the plugin processes no deployment uses.
func (e *Environment) closeUnusedBackends() {
	for name, b := range e.backends {
		if e.cur != nil && e.cur.backendName == name {
			continue
		}
		if err := b.Close(); err != nil {
			e.log.Warn("closing backend", "backend", name, "error", err)
		}
		delete(e.backends, name)
	}
}
