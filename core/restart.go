package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RestartWithImage restarts the environment on another image, keeping the
// rest of the deployment config (backend, resources, docker_args...). See
// RestartWithConfig for the flow and preserveRepoState.
func (e *Environment) RestartWithImage(ctx context.Context, image string, preserveRepoState bool) error {
	if strings.TrimSpace(image) == "" {
		return errors.New("restart: image is empty")
	}
	return e.restart(ctx, func(cur DeploymentConfig) DeploymentConfig {
		cur.Image = image
		return cur
	}, preserveRepoState)
}

// RestartWithConfig restarts the environment with a whole new deployment
// config, which may name another backend (docker -> podman mid-run). Empty
// fields of dep take their defaults, not the current config's values.
//
// The flow, each step an event: validate the new config; store_repo_ref;
// (backend, when new); ensure_image of the new image; with
// preserveRepoState, snapshot the repository's working tree (.git,
// uncommitted, staged and untracked changes) to a host file; close the old
// container; create; init; repo; post_startup. Variables set with
// SetEnvVariables are set again; named sessions are reopened, fresh.
//
// preserveRepoState=false gives a fresh copy of the repository reset to the
// base commit. preserveRepoState=true restores the snapshot, unless the new
// image already holds the repository at its path (then that is kept).
//
// Nothing is lost on failure: a bad config or a missing image fails before
// the old container is touched, which stays current. A failure after the
// old container closed leaves the environment in StateFailed with the
// snapshot kept on the host (PendingSnapshot); a later restart (with the
// old image, say) restores it. With WithKeepOldUntilReady the new container
// is made ready before the old one closes, so any failure leaves the old
// one current.
func (e *Environment) RestartWithConfig(ctx context.Context, dep DeploymentConfig, preserveRepoState bool) error {
	dep = dep.Clone()
	return e.restart(ctx, func(DeploymentConfig) DeploymentConfig { return dep }, preserveRepoState)
}

// restart is the one restart flow shared by both methods. It has no
// backend-specific code.
func (e *Environment) restart(ctx context.Context, next func(DeploymentConfig) DeploymentConfig, preserve bool) (err error) {
	e.mu.Lock()
	defer e.unlock()
	if e.state == StateClosed {
		return ErrClosed
	}
	dep := next(e.cfg.Deployment.Clone()).WithDefaults()
	end := e.step(StepRestart, fmt.Sprintf("image %s, backend %s, preserve_repo_state %t", dep.Image, dep.Backend, preserve))
	defer func() { end(err, "") }()

	if err := dep.Validate(); err != nil {
		return fmt.Errorf("restart: invalid deployment config (the environment is unchanged): %w", err)
	}
	e.storeRepoRef(ctx)

	b, err := e.backend(ctx, dep.Backend)
	if err != nil {
		return fmt.Errorf("restart: %w (the environment is unchanged)", err)
	}
	if err := e.ensureImage(ctx, b, dep); err != nil {
		return fmt.Errorf("restart: %w (the environment is unchanged)", err)
	}

	// The repository state to carry over: a fresh snapshot of the running
	// container, else one a failed restart kept.
	old := e.cur
	snap := e.pending
	fresh := false
	if preserve && e.cfg.Repo != nil && old != nil {
		s, err := e.takeSnapshot(ctx, old, e.cfg.Repo.Dir())
		if err != nil {
			return fmt.Errorf("restart: %w (the environment is unchanged)", err)
		}
		snap, fresh = s, true
	}
	if !preserve {
		snap = nil
	}
	mode := repoFresh
	if preserve {
		mode = repoPreserve
	}

	if e.keepOld && old != nil {
		e.state = StateRestarting
		e.publish()
		d, err := e.launch(ctx, b, dep, mode, snap)
		if err != nil {
			// Instant rollback: the old container never stopped.
			e.state = StateRunning
			if fresh {
				snap.discard()
			}
			return fmt.Errorf("restart: %w (rolled back: the old container is still current)", err)
		}
		if cerr := e.closeDeployment(old, old.cfg.ShouldRemoveContainer(), false); cerr != nil {
			e.log.Warn("removing the old container", "error", cerr)
		}
		e.commit(d, dep, snap)
		return nil
	}

	if old != nil {
		if cerr := e.closeDeployment(old, old.cfg.ShouldRemoveContainer(), false); cerr != nil {
			e.log.Warn("removing the old container", "error", cerr)
		}
		e.cur = nil
	}
	if fresh && e.pending != nil && e.pending != snap {
		e.pending.discard()
	}
	if snap != nil {
		e.pending = snap // kept until it lands in a running container
	}
	e.state = StateRestarting
	e.publish()
	d, err := e.launch(ctx, b, dep, mode, snap)
	if err != nil {
		e.state, e.lastErr = StateFailed, err
		if e.pending != nil {
			return fmt.Errorf("restart: %w (no container runs now; the repository snapshot is kept at %s and a later restart with preserve_repo_state restores it)", err, e.pending.path)
		}
		return fmt.Errorf("restart: %w (no container runs now; restart again or hard reset)", err)
	}
	e.commit(d, dep, e.pending)
	return nil
}

// commit makes d the current deployment after a successful restart.
func (e *Environment) commit(d *deployment, dep DeploymentConfig, used *snapshot) {
	e.cur = d
	e.cfg.Deployment = dep
	e.state, e.lastErr = StateRunning, nil
	used.discard()
	if e.pending != nil && e.pending != used {
		e.pending.discard()
	}
	e.pending = nil
	e.closeUnusedBackends()
}

// storeRepoRef is the "store_repo_ref" step: record which repository and
// commit the environment is on (HEAD, when a container runs).
func (e *Environment) storeRepoRef(ctx context.Context) {
	r := e.cfg.Repo
	if r == nil {
		end := e.step(StepStoreRepoRef, "")
		end(nil, "no repository")
		return
	}
	end := e.step(StepStoreRepoRef, r.Dir())
	detail := fmt.Sprintf("%s repo %s, base %s", r.Kind(), r.Dir(), r.Base())
	if e.cur != nil {
		res, err := e.run(ctx, e.cur, "git -C "+quote(r.Dir())+" rev-parse HEAD 2>/dev/null", CommunicateOptions{Timeout: 30 * time.Second})
		if err == nil && res.ExitCode == 0 {
			detail += ", HEAD " + strings.TrimSpace(res.Output)
		}
	}
	end(nil, detail)
}
