package chroot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/envhost/envhost/sdk"
)

// EnsureImage checks that the image, a root-filesystem tarball named by its
// path, exists. There is nothing to pull: every policy just checks.
func (b *Backend) EnsureImage(ctx context.Context, req sdk.ImageRequest, _ sdk.ProgressFunc) (sdk.Image, error) {
	id, _, err := imageID(req.Image)
	if err != nil {
		return sdk.Image{}, err
	}
	return sdk.Image{ID: id}, nil
}

// imageID identifies a tarball by its path, size and modification time (a
// content hash of a 270 MB file would cost a second per call).
func imageID(image string) (id, path string, err error) {
	if image == "" {
		return "", "", sdk.Errorf(sdk.ErrInvalidArgument, "empty image")
	}
	path, err = filepath.Abs(image)
	if err != nil {
		return "", "", fmt.Errorf("image %q: %w", image, err)
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", sdk.Errorf(sdk.ErrNotFound, "image %q: no such root-filesystem tarball", image)
	}
	if err != nil {
		return "", "", fmt.Errorf("image %q: %w", image, err)
	}
	if !fi.Mode().IsRegular() {
		return "", "", sdk.Errorf(sdk.ErrInvalidArgument, "image %q: not a tarball (a regular file)", image)
	}
	h := sha256.Sum256([]byte(path + "\x00" + strconv.FormatInt(fi.Size(), 10) + "\x00" + fi.ModTime().String()))
	return "tar-" + hex.EncodeToString(h[:8]), path, nil
}

// extracted returns the directory holding the image's root file system,
// extracting the tarball into the cache the first time.
func (b *Backend) extracted(ctx context.Context, image string) (string, error) {
	id, path, err := imageID(image)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(b.dir, "images", id)
	b.imageMu.Lock()
	defer b.imageMu.Unlock()
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(b.dir, "images"), id+".tmp-")
	if err != nil {
		return "", fmt.Errorf("image %q: %w", image, err)
	}
	// The host's tar keeps device nodes, owners and modes as they are.
	out, err := exec.CommandContext(ctx, "tar", "--numeric-owner", "-xpf", path, "-C", tmp).CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("image %q: extracting: %w: %s", image, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return dir, nil // another process extracted it first
		}
		return "", fmt.Errorf("image %q: %w", image, err)
	}
	b.log.Debug("image extracted", "image", image, "dir", dir)
	return dir, nil
}
