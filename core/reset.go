package core

import (
	"context"
	"fmt"
	"time"
)

// Reset resets the environment in place, as SWE-agent's reset: the default
// session goes to /, the repository is copied if absent, then reset to the
// base commit (git fetch when it has a remote, restore, reset --hard,
// checkout <base>, clean -fdq). A pre-existing repository is reset only
// with RepoConfig.Reset. The container and its other state are kept.
func (e *Environment) Reset(ctx context.Context) (err error) {
	e.mu.Lock()
	defer e.unlock()
	d, err := e.running()
	if err != nil {
		return err
	}
	end := e.step(StepReset, e.RepoDir())
	defer func() { end(err, "") }()
	if _, err := e.run(ctx, d, "cd /", CommunicateOptions{Timeout: time.Minute, Check: CheckRaise}); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if err := e.setupRepo(ctx, d, repoFresh, nil); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return nil
}
