package core

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/envhost/envhost/sdk"
)

// maxSymlinkDepth bounds symlink resolution in ReadFile.
const maxSymlinkDepth = 8

// ReadFile returns the contents of a file in the container (through the
// backend's CopyOut, so it works whatever the session is doing). A relative
// path is taken from the repository (or /). A missing file is an error
// matching ErrNotFound; symlinks are followed.
func (e *Environment) ReadFile(ctx context.Context, p string) ([]byte, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, err := e.running()
	if err != nil {
		return nil, err
	}
	p = e.containerPath(p)
	for range maxSymlinkDepth {
		data, link, err := readOne(ctx, d, p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if link == "" {
			return data, nil
		}
		if !path.IsAbs(link) {
			link = path.Join(path.Dir(p), link)
		}
		p = link
	}
	return nil, fmt.Errorf("read %s: too many levels of symbolic links", p)
}

// readOne reads p's tar stream: its content, or its link target.
func readOne(ctx context.Context, d *deployment, p string) ([]byte, string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := d.backend.CopyOut(ctx, d.containerID, p, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	data, link, rerr := func() ([]byte, string, error) {
		tr := tar.NewReader(pr)
		h, err := tr.Next()
		if err != nil {
			return nil, "", err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			return nil, "", fmt.Errorf("is a directory")
		case tar.TypeSymlink:
			return nil, h.Linkname, nil
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			return b, "", err
		}
		return nil, "", fmt.Errorf("not a regular file (tar type %q)", h.Typeflag)
	}()
	// Drain so the backend finishes, then prefer its error (e.g. NotFound).
	_, _ = io.Copy(io.Discard, pr)
	cerr := <-done
	if cerr != nil {
		return nil, "", cerr
	}
	return data, link, rerr
}

// WriteFile writes data to a file in the container (through the backend's
// CopyIn), creating its parent directories. A relative path is taken from
// the repository (or /). The file is owned by root with mode 0644.
func (e *Environment) WriteFile(ctx context.Context, p string, data []byte) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, err := e.running()
	if err != nil {
		return err
	}
	p = e.containerPath(p)
	if p == "/" {
		return errors.New("write /: is a directory")
	}
	dir, name := path.Split(p)
	tarball, err := singleFileTar(name, data)
	if err != nil {
		return err
	}
	err = d.backend.CopyIn(ctx, d.containerID, dir, bytes.NewReader(tarball))
	if err == nil {
		return nil
	}
	// The directory may be missing: create it and try once more.
	code, merr := d.backend.Exec(ctx, sdk.ExecSpec{ContainerID: d.containerID, Cmd: []string{"mkdir", "-p", dir}}, sdk.ExecIO{})
	if merr != nil || code != 0 {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := d.backend.CopyIn(ctx, d.containerID, dir, bytes.NewReader(tarball)); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func singleFileTar(name string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := &tar.Header{
		Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg,
		ModTime: time.Now(), Uname: "root", Gname: "root",
	}
	if err := tw.WriteHeader(h); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// containerPath makes p absolute (relative to the repository or /) and clean.
func (e *Environment) containerPath(p string) string {
	if !path.IsAbs(p) {
		p = path.Join(e.defaultDir(), p)
	}
	return cleanContainerPath(p)
}
