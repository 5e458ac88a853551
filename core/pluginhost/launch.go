package pluginhost

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/envhost/envhost/sdk"
)

// DefaultStartTimeout bounds how long a plugin may take to complete the
// handshake.
const DefaultStartTimeout = 30 * time.Second

// Options configure Launch.
type Options struct {
	// Dirs are searched for the plugin executable before the running
	// executable's directory and $PATH (see Find).
	Dirs []string
	// Path, when set, is the plugin executable to run; Dirs are not searched.
	Path string
	// Logger receives the host-side plugin logs and the plugin's own log
	// lines (JSON on its stderr), with their levels. Nil discards them.
	Logger hclog.Logger
	// StartTimeout bounds the handshake; zero means DefaultStartTimeout.
	StartTimeout time.Duration
	// Env is added to the plugin's environment (which otherwise is the
	// host's), overriding variables of the same name.
	Env []string
}

// Plugin is a running backend plugin. It implements sdk.Backend; once the
// plugin process has exited, every call, pending or later, fails with an
// sdk.ErrUnavailable error naming the plugin, until Relaunch.
type Plugin struct {
	name string
	path string
	opts Options

	mu     sync.Mutex
	cur    *instance
	closed bool
}

// instance is one plugin process.
type instance struct {
	client  *plugin.Client
	backend sdk.Backend
	cmd     *exec.Cmd
	stderr  *tailBuffer
	pid     int
	// sockDir holds the plugin's unix socket; go-plugin leaves the socket
	// behind when the plugin is killed, so the host removes the directory.
	sockDir string
}

// kill stops the process and removes its socket directory.
func (in *instance) kill() {
	in.client.Kill()
	in.removeSockDir()
}

func (in *instance) removeSockDir() {
	if in.sockDir != "" {
		_ = os.RemoveAll(in.sockDir)
		sockDirs.Delete(in.sockDir)
	}
}

// sockDirs holds the socket directories of the instances started, for
// CleanupAll.
var sockDirs sync.Map

var _ sdk.Backend = (*Plugin)(nil)

// Launch finds the plugin name (see Find) and starts it. ctx bounds the
// start only; the plugin runs until Close (or CleanupAll).
func Launch(ctx context.Context, name string, opts Options) (*Plugin, error) {
	path := opts.Path
	if path == "" {
		var err error
		if path, err = Find(name, opts.Dirs); err != nil {
			return nil, err
		}
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	p := &Plugin{name: name, path: path, opts: opts}
	in, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	p.cur = in
	return p, nil
}

// start runs a new plugin process and dispenses its backend.
func (p *Plugin) start(ctx context.Context) (*instance, error) {
	logger := p.opts.Logger.Named(p.name)
	level := logger.GetLevel()
	if level == hclog.NoLevel || level == hclog.Off {
		// Still log warnings: the end of stderr is quoted in crash errors.
		level = hclog.Warn
	}
	sockDir, err := os.MkdirTemp("", "envhost-sock-")
	if err != nil {
		return nil, fmt.Errorf("plugin %q: socket directory: %w", p.name, err)
	}
	cmd := exec.Command(p.path)
	cmd.Env = append(os.Environ(),
		"ENVHOST_PLUGIN_LOG_LEVEL="+level.String(),
		plugin.EnvUnixSocketDir+"="+sockDir)
	cmd.Env = append(cmd.Env, p.opts.Env...)
	stdio := logger.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true})
	in := &instance{cmd: cmd, stderr: newTailBuffer(4 << 10), sockDir: sockDir}
	sockDirs.Store(sockDir, true)
	in.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPlugins,
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          true,
		Logger:           logger,
		Stderr:           in.stderr,
		SyncStdout:       stdio,
		SyncStderr:       stdio,
		StartTimeout:     startTimeout(ctx, p.opts.StartTimeout),
		GRPCDialOptions:  sdk.GRPCDialOptions(),
	})

	type result struct {
		backend sdk.Backend
		err     error
	}
	ch := make(chan result, 1)
	go func() {
		rpc, err := in.client.Client()
		if err != nil {
			ch <- result{err: err}
			return
		}
		raw, err := rpc.Dispense(sdk.PluginName)
		if err != nil {
			ch <- result{err: err}
			return
		}
		b, ok := raw.(sdk.Backend)
		if !ok {
			ch <- result{err: fmt.Errorf("dispensed %T, not an sdk.Backend", raw)}
			return
		}
		ch <- result{backend: b}
	}()
	var r result
	select {
	case <-ctx.Done():
		// go-plugin holds its lock for the whole start, so Kill would wait
		// for it: kill in the background once the start is over.
		go func() {
			<-ch
			in.kill()
		}()
		return nil, p.startAborted(ctx)
	case r = <-ch:
	}
	if r.err != nil {
		in.kill()
		if ctx.Err() != nil {
			return nil, p.startAborted(ctx)
		}
		return nil, p.startError(in, r.err)
	}
	in.backend = r.backend
	if rc := in.client.ReattachConfig(); rc != nil {
		in.pid = rc.Pid
	}
	logger.Debug("plugin started", "path", p.path, "pid", in.pid)
	return in, nil
}

// startError describes a failed start: the plugin, what went wrong and,
// when it said anything useful, the end of the plugin's stderr.
func (p *Plugin) startError(in *instance, err error) error {
	gist := firstLines(err.Error())
	hint := " (is it an envhost backend plugin built with sdk.Serve?)"
	if rest, ok := strings.CutPrefix(err.Error(), "Unrecognized remote plugin message:"); ok {
		line, _, _ := strings.Cut(rest, "\n")
		if line = strings.TrimSpace(line); line == "" {
			gist = "it wrote no go-plugin handshake on stdout"
		} else {
			gist = fmt.Sprintf("it wrote %q on stdout instead of the go-plugin handshake", line)
		}
	}
	if strings.Contains(strings.ToLower(gist), "incompatible api version") {
		hint = fmt.Sprintf(" (the host speaks backend protocol %d: rebuild the plugin against a matching envhost sdk)", sdk.ProtocolVersion)
	}
	msg := fmt.Sprintf("plugin %q (%s) failed to start: %s%s", p.name, p.path, gist, hint)
	if tail := in.stderr.lastLines(3); tail != "" {
		msg += "; its stderr ended with: " + tail
	}
	return sdk.WithClass(sdk.ErrFailedPrecondition, msg)
}

// Name returns the plugin name, e.g. "docker".
func (p *Plugin) Name() string { return p.name }

// Path returns the plugin executable's path.
func (p *Plugin) Path() string { return p.path }

// Pid returns the process id of the current plugin process.
func (p *Plugin) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return 0
	}
	return p.cur.pid
}

// Exited reports whether the current plugin process has exited.
func (p *Plugin) Exited() bool {
	p.mu.Lock()
	in := p.cur
	p.mu.Unlock()
	return in == nil || in.client.Exited()
}

// Close stops the plugin process. Later calls fail until Relaunch.
func (p *Plugin) Close() error {
	p.mu.Lock()
	in := p.cur
	p.closed = true
	p.mu.Unlock()
	if in != nil {
		in.kill()
	}
	return nil
}

// Relaunch starts a fresh process of the same plugin executable and
// switches to it, stopping the old process if it is still running. The
// host uses it to go on (and clean up) after a plugin crash.
func (p *Plugin) Relaunch(ctx context.Context) error {
	in, err := p.start(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	old := p.cur
	p.cur, p.closed = in, false
	p.mu.Unlock()
	if old != nil {
		old.kill()
	}
	return nil
}

// CleanupAll kills every plugin process started by Launch or Relaunch and
// not yet closed. Call it when the host exits.
func CleanupAll() {
	plugin.CleanupClients()
	sockDirs.Range(func(k, _ any) bool {
		_ = os.RemoveAll(k.(string))
		sockDirs.Delete(k)
		return true
	})
}

// instance returns the current process, or the error every call gets when
// it is gone.
func (p *Plugin) instance() (*instance, error) {
	p.mu.Lock()
	in, closed := p.cur, p.closed
	p.mu.Unlock()
	if closed {
		return nil, sdk.Errorf(sdk.ErrUnavailable, "plugin %q (%s) is closed", p.name, p.path)
	}
	if in.client.Exited() {
		return nil, p.exitError(in)
	}
	return in, nil
}

// exitError reports that the plugin process of in has exited, and how.
func (p *Plugin) exitError(in *instance) error {
	in.removeSockDir()
	how := "process gone"
	// Safe: ProcessState is set before go-plugin marks the client exited.
	if ps := in.cmd.ProcessState; ps != nil {
		how = ps.String()
	}
	msg := fmt.Sprintf("plugin %q (%s) exited: %s", p.name, p.path, how)
	if tail := in.stderr.lastLines(2); tail != "" {
		msg += "; its stderr ended with: " + tail
	}
	return sdk.WithClass(sdk.ErrUnavailable, msg)
}

// after turns the error of a call on in into the exit error when the call
// failed because the plugin process died.
func (p *Plugin) after(ctx context.Context, in *instance, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	if in.client.Exited() {
		return p.exitError(in)
	}
	return err
}

// firstLines keeps the gist of a go-plugin start error: its lines up to the
// generic advice it appends ("This usually means ..."), joined by "; ".
func firstLines(s string) string {
	if i := strings.Index(s, "This usually means"); i >= 0 {
		s = s[:i]
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// startTimeout is d, or less when ctx ends sooner.
func startTimeout(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			return max(left, time.Millisecond)
		}
	}
	return d
}

// startAborted returns the error of a start cut short by ctx.
func (p *Plugin) startAborted(ctx context.Context) error {
	return &startAborted{
		msg:  fmt.Sprintf("plugin %q (%s): start: %v", p.name, p.path, ctx.Err()),
		errs: []error{ctx.Err(), sdk.Class(ctx.Err())},
	}
}

// startAborted is the error of a start cut short by its ctx: it matches
// the context error and the matching sdk class.
type startAborted struct {
	msg  string
	errs []error
}

func (e *startAborted) Error() string   { return e.msg }
func (e *startAborted) Unwrap() []error { return e.errs }
