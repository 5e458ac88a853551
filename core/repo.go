package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// repoTimeout bounds each git command of the repository steps (clone and
// fetch can be slow).
const repoTimeout = 10 * time.Minute

// gitStage is where a git URL that is a repository on the host is copied
// before cloning from it inside the container.
const gitStage = "/tmp/envhost-git"

// setupRepo is the "repo" step: put the repository at /<name> in d.
//
// repoFresh: copy (or clone) it if absent, then reset it to the base commit
// (a pre-existing repository only when RepoConfig.Reset).
// repoPreserve: keep what the image holds at /<name>; else restore snap;
// else as repoFresh.
//
// It leaves the default session in the repository directory.
func (e *Environment) setupRepo(ctx context.Context, d *deployment, mode repoMode, snap *snapshot) (err error) {
	r := e.cfg.Repo
	if r == nil {
		return nil
	}
	dir := r.Dir()
	end := e.step(StepRepo, fmt.Sprintf("%s %s", r.Kind(), dir))
	detail := ""
	defer func() { end(err, detail) }()
	exists, err := e.pathExists(ctx, d, dir)
	if err != nil {
		return err
	}
	if mode == repoPreserve {
		switch {
		case exists:
			detail = "kept " + dir + " as the image holds it"
			if snap != nil {
				detail += "; snapshot not restored"
			}
			return e.cdRepo(ctx, d)
		case snap != nil:
			if err := e.restoreSnapshot(ctx, d, snap); err != nil {
				return err
			}
			detail = "restored snapshot"
			return e.cdRepo(ctx, d)
		}
	}
	if !exists {
		if err := e.copyRepo(ctx, d); err != nil {
			return err
		}
		detail = "copied; "
	}
	if r.Kind() == RepoPreexisting && !r.Reset {
		detail += "not reset"
		return e.cdRepo(ctx, d)
	}
	detail += "reset to " + r.Base()
	return e.resetRepo(ctx, d)
}

// copyRepo puts a repository that is absent from the container in place.
func (e *Environment) copyRepo(ctx context.Context, d *deployment) error {
	r := e.cfg.Repo
	name := r.RepoName()
	switch r.Kind() {
	case RepoLocal:
		if err := isGitWorkTree(r.Path); err != nil {
			return fmt.Errorf("repo.path: %w", err)
		}
		rc := streamTree(r.Path, name)
		defer rc.Close()
		if err := d.backend.CopyIn(ctx, d.containerID, "/", rc); err != nil {
			return fmt.Errorf("copy %s into the container at /%s: %w", r.Path, name, err)
		}
		return nil
	case RepoGit:
		src := r.GitURL
		if host, ok := hostRepoPath(r.GitURL); ok {
			// A repository on the host: copy it in and clone from the copy,
			// so no network or credentials are needed; origin then points at
			// the copy, and git fetch works against it.
			if _, err := e.run(ctx, d, "mkdir -p "+gitStage, CommunicateOptions{Timeout: time.Minute, Check: CheckRaise}); err != nil {
				return err
			}
			rc := streamTree(host, name+".git")
			defer rc.Close()
			if err := d.backend.CopyIn(ctx, d.containerID, gitStage, rc); err != nil {
				return fmt.Errorf("copy %s into the container: %w", host, err)
			}
			src = gitStage + "/" + name + ".git"
		}
		_, err := e.run(ctx, d, fmt.Sprintf("git clone -q %s %s", quote(src), quote(r.Dir())), CommunicateOptions{
			Timeout: repoTimeout, Check: CheckRaise, ErrorMessage: "clone " + r.GitURL,
		})
		return err
	case RepoPreexisting:
		return fmt.Errorf("repo_name %q: %s does not exist in image %s", r.Name, r.Dir(), d.cfg.Image)
	}
	return errNoRepo
}

// hostRepoPath reports whether a git URL is a repository on the host (a
// path or file:// URL) and returns its absolute path.
func hostRepoPath(url string) (string, bool) {
	p := strings.TrimPrefix(url, "file://")
	if !filepath.IsAbs(p) && !strings.HasPrefix(p, ".") {
		return "", false
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() || !isHostGitRepo(abs) {
		return "", false
	}
	return abs, true
}

// resetRepo runs SWE-agent's reset in the repository: git fetch (when it
// has a remote), status, restore, reset --hard, checkout <base>, clean.
func (e *Environment) resetRepo(ctx context.Context, d *deployment) error {
	r := e.cfg.Repo
	dir, base := r.Dir(), r.Base()
	if err := e.cdRepo(ctx, d); err != nil {
		return err
	}
	git := func(cmd, what string) error {
		_, err := e.run(ctx, d, cmd, CommunicateOptions{Timeout: repoTimeout, Check: CheckRaise, ErrorMessage: "reset " + dir + ": " + what})
		return err
	}
	remotes, err := e.run(ctx, d, "git remote", CommunicateOptions{Timeout: time.Minute, Check: CheckRaise, ErrorMessage: dir + " is not a git repository"})
	if err != nil {
		return err
	}
	if strings.TrimSpace(remotes.Output) != "" {
		res, err := e.run(ctx, d, "git fetch -q", CommunicateOptions{Timeout: repoTimeout})
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			// Not fatal: the base commit may well be there already; the
			// check below names it if it is not.
			e.log.Warn("git fetch failed", "repo", dir, "output", tail(res.Output, 5, 500))
		}
	}
	res, err := e.run(ctx, d, fmt.Sprintf("git rev-parse --verify --quiet %s", quote(base+"^{commit}")), CommunicateOptions{Timeout: time.Minute})
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("reset %s: base commit %q not found in the repository", dir, base)
	}
	steps := []struct{ cmd, what string }{
		{"git status", "git status"},
		{"git restore .", "git restore"},
		{"git reset --hard -q", "git reset --hard"},
		{"git checkout -q " + quote(base), "checkout " + base},
		{"git clean -fdq", "git clean"},
	}
	for _, s := range steps {
		if err := git(s.cmd, s.what); err != nil {
			return err
		}
	}
	return nil
}

// cdRepo moves the default session into the repository.
func (e *Environment) cdRepo(ctx context.Context, d *deployment) error {
	_, err := e.run(ctx, d, "cd "+quote(e.cfg.Repo.Dir()), CommunicateOptions{Timeout: time.Minute, Check: CheckRaise})
	return err
}

// pathExists tests a path in the container through the default session.
func (e *Environment) pathExists(ctx context.Context, d *deployment, p string) (bool, error) {
	res, err := e.run(ctx, d, "test -e "+quote(p), CommunicateOptions{Timeout: time.Minute})
	if err != nil {
		return false, err
	}
	return res.ExitCode == 0, nil
}
