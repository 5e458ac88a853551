package chroot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/envhost/envhost/sdk"
)

// Inspect reports a container: running while its directory exists, exited
// once its main process (if it has one) has exited, missing when gone.
func (b *Backend) Inspect(ctx context.Context, id string) (sdk.ContainerState, error) {
	m, err := b.load(id)
	if errors.Is(err, sdk.ErrNotFound) {
		return sdk.ContainerState{State: sdk.StateMissing}, nil
	}
	if err != nil {
		return sdk.ContainerState{}, err
	}
	st := sdk.ContainerState{State: sdk.StateRunning, Image: m.Image, Labels: m.Labels}
	if data, err := os.ReadFile(filepath.Join(b.containerDir(id), "exit")); err == nil {
		st.State = sdk.StateExited
		st.ExitCode, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	return st, nil
}

// Remove kills every process inside the container, unmounts its rootfs and
// deletes its directory. Removing a missing container is not an error.
func (b *Backend) Remove(ctx context.Context, id string, opts sdk.RemoveOptions) error {
	m, err := b.load(id)
	if err != nil && !errors.Is(err, sdk.ErrNotFound) {
		return err
	}
	if err := b.remove(id, m.Name); err != nil {
		return err
	}
	if opts.RemoveImage {
		return sdk.Errorf(sdk.ErrUnimplemented, "container %s removed; the chroot backend does not remove images", id)
	}
	return nil
}

func (b *Backend) remove(id, name string) error {
	if !validID.MatchString(id) {
		return nil // never a container of ours
	}
	dir, root := b.containerDir(id), b.rootfs(id)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := killAll(root); err != nil {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	if done, ok := b.mains.LoadAndDelete(id); ok {
		<-done.(chan struct{})
	}
	// /proc first: with a copied (not mounted) rootfs, RemoveAll must never
	// walk into it.
	for _, mnt := range []string{filepath.Join(root, "proc"), root} {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("remove %s: unmount %s: %w", id, mnt, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	if name != "" {
		link := filepath.Join(b.dir, "names", name)
		if target, err := os.Readlink(link); err == nil && target == id {
			_ = os.Remove(link)
		}
	}
	b.log.Debug("container removed", "id", id)
	return nil
}

// killAll SIGKILLs every process whose root directory is root (or below),
// and waits until they are gone.
func killAll(root string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := procsIn(root)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v inside %s survive SIGKILL", pids, root)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procsIn lists the processes chrooted into root, from /proc/<pid>/root.
func procsIn(root string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		r, err := os.Readlink("/proc/" + e.Name() + "/root")
		if err == nil && (r == root || strings.HasPrefix(r, root+"/")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// List returns the ids of the containers in the state directory, for
// cleaning up after a crash (Remove each).
func (b *Backend) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(b.dir, "containers"))
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() && validID.MatchString(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}
