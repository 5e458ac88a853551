package fakebackend

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/envhost/envhost/sdk"
)

// hostPath maps a container path to the host directory backing it.
func hostPath(c *container, p string) string {
	return filepath.Join(c.dir, filepath.FromSlash(path.Clean("/"+p)))
}

// CopyIn implements sdk.Backend: it extracts regular files and directories.
func (f *Fake) CopyIn(ctx context.Context, id, destDir string, r io.Reader) error {
	c, err := f.lookup(id)
	if err != nil {
		return err
	}
	dest := hostPath(c, destDir)
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return fmt.Errorf("fake copy in: %w", err)
	}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return sdk.Errorf(sdk.ErrInvalidArgument, "fake copy in: bad tar stream: %v", err)
		}
		name := path.Clean("/" + h.Name)
		target := filepath.Join(dest, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("fake copy in: %w", err)
			}
		case tar.TypeReg:
			if err := writeFile(target, tr, h.FileInfo().Mode().Perm()); err != nil {
				return fmt.Errorf("fake copy in %s: %w", h.Name, err)
			}
		}
	}
}

func writeFile(target string, r io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// CopyOut implements sdk.Backend: entries are named relative to the parent
// of srcPath.
func (f *Fake) CopyOut(ctx context.Context, id, srcPath string, w io.Writer) error {
	c, err := f.lookup(id)
	if err != nil {
		return err
	}
	src := hostPath(c, srcPath)
	if _, err := os.Lstat(src); err != nil {
		return sdk.Errorf(sdk.ErrNotFound, "path %q not found in container %s", srcPath, id)
	}
	parent := filepath.Dir(src)
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(parent, p)
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		fh, err := os.Open(p)
		if err != nil {
			return err
		}
		defer fh.Close()
		_, err = io.Copy(tw, fh)
		return err
	})
	if err != nil {
		return fmt.Errorf("fake copy out: %w", err)
	}
	return tw.Close()
}
