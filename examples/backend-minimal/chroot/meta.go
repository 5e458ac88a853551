package chroot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/envhost/envhost/sdk"
)

// meta is what a container's meta.json records.
type meta struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Image      string            `json:"image"`
	Labels     map[string]string `json:"labels"`
	Env        map[string]string `json:"env,omitempty"`
	WorkingDir string            `json:"working_dir,omitempty"`
	User       string            `json:"user,omitempty"`
	Overlay    bool              `json:"overlay"` // rootfs is an overlay mount
}

var validID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// containerDir returns the state directory of container id.
func (b *Backend) containerDir(id string) string {
	return filepath.Join(b.dir, "containers", id)
}

// rootfs returns the root directory of container id.
func (b *Backend) rootfs(id string) string {
	return filepath.Join(b.containerDir(id), "rootfs")
}

// load reads container id's meta.json; a missing container is ErrNotFound.
func (b *Backend) load(id string) (meta, error) {
	var m meta
	if !validID.MatchString(id) {
		return m, sdk.Errorf(sdk.ErrNotFound, "container %q", id)
	}
	data, err := os.ReadFile(filepath.Join(b.containerDir(id), "meta.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return m, sdk.Errorf(sdk.ErrNotFound, "container %q", id)
	}
	if err != nil {
		return m, fmt.Errorf("container %q: %w", id, err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("container %q: meta.json: %w", id, err)
	}
	return m, nil
}

// save writes m to its container's meta.json atomically.
func (b *Backend) save(m meta) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(b.containerDir(m.ID), "meta.json")
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		return fmt.Errorf("container %q: %w", m.ID, err)
	}
	return os.Rename(path+".tmp", path)
}
