package core

import (
	"context"
	"fmt"
	"os"
)

// snapshot is a repository's working tree (with .git, uncommitted, staged
// and untracked changes) saved on the host as a tar stream whose entries
// are named <repo>/..., as CopyOut writes them.
type snapshot struct {
	path    string // host file
	size    int64
	repoDir string // e.g. /myrepo
}

// takeSnapshot is the "snapshot" step: CopyOut the repository into a host
// temp file.
func (e *Environment) takeSnapshot(ctx context.Context, d *deployment, repoDir string) (_ *snapshot, err error) {
	end := e.step(StepSnapshot, repoDir)
	s := &snapshot{repoDir: repoDir}
	defer func() {
		detail := ""
		if err == nil {
			detail = fmt.Sprintf("%s (%d bytes)", s.path, s.size)
		}
		end(err, detail)
	}()
	f, err := os.CreateTemp(e.snapshotDir, "envhost-snapshot-*.tar")
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", repoDir, err)
	}
	s.path = f.Name()
	err = d.backend.CopyOut(ctx, d.containerID, repoDir, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(s.path)
		return nil, fmt.Errorf("snapshot %s: %w", repoDir, err)
	}
	if st, err := os.Stat(s.path); err == nil {
		s.size = st.Size()
	}
	return s, nil
}

// restoreSnapshot is the "restore" step: CopyIn the snapshot at / (its
// entries are <repo>/...).
func (e *Environment) restoreSnapshot(ctx context.Context, d *deployment, s *snapshot) (err error) {
	end := e.step(StepRestore, s.path)
	defer func() { end(err, s.repoDir) }()
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("restore snapshot %s: %w", s.path, err)
	}
	defer f.Close()
	if err := d.backend.CopyIn(ctx, d.containerID, "/", f); err != nil {
		return fmt.Errorf("restore snapshot %s into %s: %w", s.path, s.repoDir, err)
	}
	return nil
}

// discard deletes the snapshot file.
func (s *snapshot) discard() {
	if s != nil {
		_ = os.Remove(s.path)
	}
}
