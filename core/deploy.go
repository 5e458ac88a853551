package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/sdk"
)

// baseEnv is set in every container and session, as SWE-agent does.
var baseEnv = map[string]string{
	"LANG":             "C.UTF-8",
	"LC_ALL":           "C.UTF-8",
	"PIP_PROGRESS_BAR": "off",
	"PAGER":            "cat",
}

// deployment is one running container and its sessions.
type deployment struct {
	cfg           DeploymentConfig
	backendName   string
	backend       Backend
	containerID   string
	containerName string

	smu      sync.Mutex
	sessions map[string]session // "" is the default session
}

func (d *deployment) session(name string) (session, error) {
	d.smu.Lock()
	defer d.smu.Unlock()
	s, ok := d.sessions[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrNoSession, name)
	}
	return s, nil
}

// closeSessions closes and forgets d's sessions.
func (d *deployment) closeSessions(e *Environment) {
	d.smu.Lock()
	defer d.smu.Unlock()
	for name, s := range d.sessions {
		if err := s.Close(); err != nil {
			e.log.Debug("closing session", "session", name, "error", err)
		}
		delete(d.sessions, name)
	}
}

// repoMode says how a new container gets its repository.
type repoMode int

const (
	repoFresh    repoMode = iota // copy if absent, reset to the base commit
	repoPreserve                 // keep the image's, else restore the snapshot, else fresh
)

// bringUp runs the start steps: backend, ensure_image, then launch.
func (e *Environment) bringUp(ctx context.Context, dep DeploymentConfig, mode repoMode, snap *snapshot) (*deployment, error) {
	b, err := e.backend(ctx, dep.Backend)
	if err != nil {
		return nil, err
	}
	if err := e.ensureImage(ctx, b, dep); err != nil {
		return nil, err
	}
	return e.launch(ctx, b, dep, mode, snap)
}

// ensureImage makes dep.Image available under dep.Pull, forwarding pull
// progress as events.
func (e *Environment) ensureImage(ctx context.Context, b Backend, dep DeploymentConfig) (err error) {
	end := e.step(StepEnsureImage, dep.Image)
	var img sdk.Image
	defer func() {
		detail := ""
		if err == nil {
			detail = fmt.Sprintf("%s (%s)", dep.Image, img.ID)
			if img.Pulled {
				detail += " pulled"
			}
		}
		end(err, detail)
	}()
	img, err = b.EnsureImage(ctx, sdk.ImageRequest{Image: dep.Image, Policy: dep.Pull, Platform: dep.Platform}, e.progress)
	if err != nil {
		return fmt.Errorf("image %s (pull %s, backend %s): %w", dep.Image, dep.Pull, dep.Backend, err)
	}
	return nil
}

// launch runs the steps create, init, repo and post_startup. On failure the
// new container is removed and nothing else is touched.
func (e *Environment) launch(ctx context.Context, b Backend, dep DeploymentConfig, mode repoMode, snap *snapshot) (_ *deployment, err error) {
	startCtx, cancel := context.WithTimeout(ctx, dep.StartupTimeout.D())
	defer cancel()
	timedOut := func(err error) error {
		if err != nil && startCtx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("startup_timeout %s exceeded: %w", dep.StartupTimeout, err)
		}
		return err
	}
	d, err := e.create(startCtx, b, dep)
	if err != nil {
		return nil, timedOut(err)
	}
	defer func() {
		if err != nil {
			_ = e.closeDeployment(d, true, false)
		}
	}()
	if err := e.initDeployment(startCtx, d); err != nil {
		return nil, timedOut(err)
	}
	if err := e.setupRepo(ctx, d, mode, snap); err != nil {
		return nil, err
	}
	if err := e.postStartup(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

func (e *Environment) create(ctx context.Context, b Backend, dep DeploymentConfig) (_ *deployment, err error) {
	end := e.step(StepCreate, dep.Image)
	d := &deployment{cfg: dep, backendName: dep.Backend, backend: b, sessions: map[string]session{}}
	defer func() { end(err, d.containerID) }()
	spec, err := dep.containerSpec(e.name, containerName(e.name), e.containerEnv())
	if err != nil {
		return nil, err
	}
	c, err := createContainer(ctx, b, spec, e.log)
	if err != nil {
		return nil, fmt.Errorf("create container from %s: %w", dep.Image, err)
	}
	d.containerID, d.containerName = c.ID, c.Name
	e.log.Info("container created", "id", shortID(c.ID), "name", c.Name, "image", dep.Image, "backend", dep.Backend)
	return d, nil
}

// createContainer calls b.Create, giving up when ctx ends (a startup
// timeout, say). The call itself is not cancelled: the engine might make
// the container anyway, so when it returns late the container is removed,
// and nothing leaks.
func createContainer(ctx context.Context, b sdk.Backend, spec sdk.Spec, log hclog.Logger) (sdk.Container, error) {
	type result struct {
		c   sdk.Container
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := b.Create(context.WithoutCancel(ctx), spec)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		go func() {
			r := <-ch
			if r.err != nil {
				return
			}
			rctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := b.Remove(rctx, r.c.ID, sdk.RemoveOptions{}); err != nil {
				log.Warn("removing a container created after its start was abandoned", "id", shortID(r.c.ID), "error", err)
			}
		}()
		return sdk.Container{}, ctx.Err()
	}
}

// initDeployment waits for the container to run and opens the default
// session (and the named sessions the environment had) with the
// environment's variables.
func (e *Environment) initDeployment(ctx context.Context, d *deployment) (err error) {
	end := e.step(StepInit, d.containerID)
	defer func() { end(err, "") }()
	if err := waitRunning(ctx, d.backend, d.containerID); err != nil {
		return err
	}
	for _, name := range append([]string{""}, e.named...) {
		s, err := e.openSession(ctx, d.backend, d.containerID, e.sessionSpec(name))
		if err != nil {
			return fmt.Errorf("open shell session %q: %w", name, err)
		}
		d.sessions[name] = s
	}
	return nil
}

func (e *Environment) postStartup(ctx context.Context, d *deployment) (err error) {
	end := e.step(StepPostStartup, fmt.Sprintf("%d commands", len(e.cfg.PostStartupCommands)))
	defer func() { end(err, "") }()
	for _, cmd := range e.cfg.PostStartupCommands {
		_, err := e.run(ctx, d, cmd, CommunicateOptions{
			Timeout:      e.cfg.PostStartupTimeout.D(),
			Check:        CheckRaise,
			ErrorMessage: "post-startup command failed",
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// closeDeployment closes d's sessions and removes its container (when
// remove), with its image when removeImage. It runs even when the caller's
// context is done, bounded by its own timeout.
func (e *Environment) closeDeployment(d *deployment, remove, removeImage bool) (err error) {
	end := e.step(StepClose, d.containerID)
	defer func() { end(err, d.containerID) }()
	d.closeSessions(e)
	if !remove {
		e.log.Info("container kept (remove_container: false)", "id", shortID(d.containerID))
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A crashed plugin is relaunched so that the container still goes.
	if r, ok := d.backend.(relauncher); ok && r.Exited() {
		e.log.Warn("backend plugin exited; relaunching it to remove the container", "backend", d.backendName)
		if err := r.Relaunch(ctx); err != nil {
			return fmt.Errorf("remove container %s: relaunch backend %q: %w", shortID(d.containerID), d.backendName, err)
		}
	}
	if err := d.backend.Remove(ctx, d.containerID, sdk.RemoveOptions{RemoveImage: removeImage}); err != nil {
		return fmt.Errorf("remove container %s: %w", shortID(d.containerID), err)
	}
	return nil
}

// waitRunning polls Inspect until the container runs.
func waitRunning(ctx context.Context, b sdk.Backend, id string) error {
	delay := 20 * time.Millisecond
	for {
		st, err := b.Inspect(ctx, id)
		if err != nil {
			return fmt.Errorf("inspect container %s: %w", shortID(id), err)
		}
		switch st.State {
		case sdk.StateRunning:
			return nil
		case sdk.StateExited:
			return fmt.Errorf("container %s exited with code %d before it was ready", shortID(id), st.ExitCode)
		case sdk.StateMissing:
			return fmt.Errorf("container %s disappeared before it was ready: %w", shortID(id), sdk.ErrNotFound)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s not running (state %s): %w", shortID(id), st.State, ctx.Err())
		case <-time.After(delay):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

// containerEnv is the container's environment: the base variables and the
// config's.
func (e *Environment) containerEnv() map[string]string {
	env := maps.Clone(baseEnv)
	maps.Copy(env, e.cfg.Env)
	return env
}

// sessionEnv adds the variables set with SetEnvVariables.
func (e *Environment) sessionEnv() map[string]string {
	env := e.containerEnv()
	maps.Copy(env, e.envVars)
	return env
}

func (e *Environment) sessionSpec(name string) sessionSpec {
	return sessionSpec{name: name, env: e.sessionEnv(), workDir: "/", maxOutput: e.maxOutput, log: e.log}
}

// containerName is a unique engine-safe name: envhost-<env>-<random>.
func containerName(env string) string {
	var b strings.Builder
	for _, c := range env {
		if c == '-' || c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	n := b.String()
	if len(n) > 40 {
		n = n[:40]
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	return "envhost-" + n + "-" + hex.EncodeToString(r[:])
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

var errNoRepo = errors.New("no repository configured")
