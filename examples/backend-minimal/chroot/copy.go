package chroot

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/envhost/envhost/sdk"
)

// openIn opens dir inside container id as an os.Root: nothing reached
// through it can leave the container, whatever symlinks it holds.
func (b *Backend) openIn(id, dir string) (*os.Root, error) {
	if _, err := b.load(id); err != nil {
		return nil, err
	}
	top, err := os.OpenRoot(b.rootfs(id))
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	defer top.Close()
	r, err := top.OpenRoot(inRoot(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, sdk.Errorf(sdk.ErrNotFound, "container %s: %s: no such directory", id, dir)
	}
	if err != nil {
		return nil, sdk.Errorf(sdk.ErrInvalidArgument, "container %s: %s: %v", id, dir, err)
	}
	return r, nil
}

// inRoot turns an absolute container path into a name relative to the root.
func inRoot(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

// CopyIn extracts the tar stream r into destDir inside the container.
// Entries with ".." in their names, and paths through symlinks that leave
// the container, are rejected; so are device nodes.
func (b *Backend) CopyIn(ctx context.Context, containerID, destDir string, r io.Reader) error {
	root, err := b.openIn(containerID, destDir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	for {
		if ctx.Err() != nil {
			return ctxErr(ctx, "copy in")
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("copy in: reading tar: %w", err)
		}
		if err := extractEntry(root, hdr, tr); err != nil {
			return fmt.Errorf("copy in %s to %s: %w", hdr.Name, destDir, err)
		}
	}
}

// safeName checks a tar entry name and returns it relative to the root.
func safeName(name string) (string, error) {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", sdk.Errorf(sdk.ErrInvalidArgument, "entry name %q contains ..", name)
		}
	}
	return inRoot(name), nil
}

func extractEntry(root *os.Root, hdr *tar.Header, r io.Reader) error {
	name, err := safeName(hdr.Name)
	if err != nil {
		return err
	}
	mode := os.FileMode(hdr.Mode & 0o777)
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := root.Mkdir(name, mode); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case tar.TypeReg: // the reader reports old TypeRegA entries as TypeReg
		_ = root.Remove(name) // replace, never write through an old file or link
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		_ = root.Remove(name)
		return root.Symlink(hdr.Linkname, name) // the target is only text; os.Root never follows it out
	case tar.TypeLink:
		old, err := safeName(hdr.Linkname)
		if err != nil {
			return err
		}
		_ = root.Remove(name)
		return root.Link(old, name)
	default:
		return sdk.Errorf(sdk.ErrInvalidArgument, "unsupported tar entry type %q", hdr.Typeflag)
	}
	// Owner before mode: chown clears setuid bits.
	if err := root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	if err := root.Chmod(name, os.FileMode(hdr.Mode&0o777)|modeBits(hdr.Mode)); err != nil {
		return err
	}
	return root.Chtimes(name, hdr.ModTime, hdr.ModTime)
}

// modeBits maps tar's setuid, setgid and sticky bits to os.FileMode.
func modeBits(m int64) os.FileMode {
	var fm os.FileMode
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

// CopyOut writes srcPath from the container to w as a tar stream, entries
// named relative to srcPath's parent.
func (b *Backend) CopyOut(ctx context.Context, containerID, srcPath string, w io.Writer) error {
	parent, base := path.Split(path.Clean("/" + srcPath))
	root, err := b.openIn(containerID, parent)
	if err != nil {
		return err
	}
	defer root.Close()
	if base == "" {
		base = "."
	}
	fi, err := root.Lstat(base)
	if errors.Is(err, fs.ErrNotExist) {
		return sdk.Errorf(sdk.ErrNotFound, "container %s: %s: no such file or directory", containerID, srcPath)
	}
	if err != nil {
		return fmt.Errorf("copy out %s: %w", srcPath, err)
	}
	tw := tar.NewWriter(w)
	if !fi.IsDir() {
		err = addEntry(tw, root, base) // a file, or a symlink copied as a link
	} else {
		err = fs.WalkDir(root.FS(), base, func(name string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ctx.Err() != nil {
				return ctxErr(ctx, "copy out")
			}
			return addEntry(tw, root, name)
		})
	}
	if err != nil {
		return fmt.Errorf("copy out %s: %w", srcPath, err)
	}
	return tw.Close()
}

// addEntry writes one file, directory or symlink of root to tw.
func addEntry(tw *tar.Writer, root *os.Root, name string) error {
	fi, err := root.Lstat(name)
	if err != nil {
		return err
	}
	var link string
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = root.Readlink(name); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name, hdr.Uname, hdr.Gname = name, "", "" // host names mean nothing here
	if fi.IsDir() {
		hdr.Name += "/"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyN(tw, f, hdr.Size)
	return err
}
