package core

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// streamTree returns a reader of a tar stream of the host directory root,
// its entries named prefix/<relative path> and owned by root (uid/gid 0).
// The tree is read as the stream is consumed, one file at a time, so memory
// stays flat whatever its size. Sockets, devices and fifos are skipped.
func streamTree(root, prefix string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTree(pw, root, prefix)) }()
	return pr
}

func writeTree(w io.Writer, root, prefix string) error {
	tw := tar.NewWriter(w)
	prefix = strings.Trim(prefix, "/")
	err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := prefix
		if rel != "." {
			name = prefix + "/" + filepath.ToSlash(rel)
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		link := ""
		switch mode := info.Mode(); {
		case mode.IsRegular(), mode.IsDir():
		case mode&fs.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			return nil
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		h.Name = name
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "root", "root"
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.CopyN(tw, f, h.Size); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// isGitWorkTree reports whether dir is a git working tree with a .git directory.
func isGitWorkTree(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	g, err := os.Stat(filepath.Join(dir, ".git"))
	switch {
	case err != nil:
		return fmt.Errorf("%s is not a git repository (no .git)", dir)
	case !g.IsDir():
		return fmt.Errorf("%s: .git is a file (a worktree or submodule); use the main repository", dir)
	}
	return nil
}

// isHostGitRepo reports whether dir is a git repository on the host, bare
// (HEAD and objects/ at its top) or not (.git inside).
func isHostGitRepo(dir string) bool {
	if isGitWorkTree(dir) == nil {
		return true
	}
	_, e1 := os.Stat(filepath.Join(dir, "HEAD"))
	o, e2 := os.Stat(filepath.Join(dir, "objects"))
	return e1 == nil && e2 == nil && o.IsDir()
}
