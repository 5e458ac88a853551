package backendtest

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"time"
)

// newPRNG returns a deterministic pseudo-random byte stream for seed.
func newPRNG(seed uint64) io.Reader {
	var s [32]byte
	for i := range 4 {
		s[i*8] = byte(seed >> (8 * i))
	}
	s[31] = 0xe5
	return rand.NewChaCha8(s)
}

// hashCounter is a writer that counts and hashes what passes through it.
type hashCounter struct {
	h hash.Hash
	n int64
}

func newHashCounter() *hashCounter { return &hashCounter{h: sha256.New()} }

func (w *hashCounter) Write(p []byte) (int, error) {
	w.h.Write(p)
	w.n += int64(len(p))
	return len(p), nil
}

func (w *hashCounter) sum() string { return hex.EncodeToString(w.h.Sum(nil)) }

// treeEntry is what the suite expects of one entry of a generated tree.
type treeEntry struct {
	Type byte  // tar.TypeReg, tar.TypeDir or tar.TypeSymlink
	Mode int64 // permission bits
	Size int64
	Sum  string // sha256 of a file's content
	Link string // a symlink's target
}

// treeItem is one entry to generate: a directory, a file of size bytes, or
// a symlink.
type treeItem struct {
	name string
	typ  byte
	mode int64
	size int64
	link string
}

// treeLayout returns the entries of a tree of about total bytes under root:
// nested and empty directories, files of many sizes and modes, and symlinks
// (relative, absolute, dangling, to a directory).
func treeLayout(root string, total int64, seed uint64) []treeItem {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	dir := func(name string, mode int64) treeItem {
		return treeItem{name: path.Join(root, name), typ: tar.TypeDir, mode: mode}
	}
	file := func(name string, mode, size int64) treeItem {
		return treeItem{name: path.Join(root, name), typ: tar.TypeReg, mode: mode, size: size}
	}
	link := func(name, target string) treeItem {
		return treeItem{name: path.Join(root, name), typ: tar.TypeSymlink, mode: 0o777, link: target}
	}
	items := []treeItem{
		{name: root, typ: tar.TypeDir, mode: 0o755},
		dir("empty", 0o755),
		dir("empty-private", 0o700),
		dir("a", 0o755), dir("a/b", 0o755), dir("a/b/c", 0o755), dir("a/b/c/d", 0o755),
		file("a/b/c/d/deep.txt", 0o644, 1000),
		file("zero-length", 0o644, 0),
		file("with space.txt", 0o644, 77),
		file("ünïcode-ñame.txt", 0o640, 4096),
		dir("bin", 0o755),
		dir("secret", 0o750),
		file("secret/key", 0o600, 3000),
		link("link-rel", "a/b/c/d/deep.txt"),
		link("link-abs", "/etc/hostname"),
		link("link-dangling", "no/such/target"),
		link("link-dir", "a/b"),
		link("bin/link-up", "../with space.txt"),
	}
	var used int64
	for _, it := range items {
		used += it.size
	}
	// One big file, a few medium ones, many small ones, and the rest.
	big := total / 4
	items = append(items, file("big.bin", 0o644, big))
	used += big
	for i := range 6 {
		sz := total / 16
		items = append(items, file(fmt.Sprintf("bin/tool%d", i), 0o755, sz))
		used += sz
	}
	for i := 0; used < total-(64<<10) && i < 400; i++ {
		d := fmt.Sprintf("src/pkg%02d", i/40)
		if i%40 == 0 {
			if i == 0 {
				items = append(items, dir("src", 0o755))
			}
			items = append(items, dir(d, 0o755))
		}
		sz := rng.Int64N(64 << 10)
		mode := []int64{0o644, 0o664, 0o600, 0o755}[rng.IntN(4)]
		items = append(items, file(fmt.Sprintf("%s/f%03d.dat", d, i), mode, sz))
		used += sz
	}
	if rest := total - used; rest > 0 {
		items = append(items, file("rest.bin", 0o644, rest))
	}
	return items
}

// writeTree writes the tree of treeLayout as a tar stream to w, generating
// file contents on the fly, and returns what each entry must look like.
func writeTree(w io.Writer, root string, total int64, seed uint64) (map[string]treeEntry, error) {
	want := map[string]treeEntry{}
	tw := tar.NewWriter(w)
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, it := range treeLayout(root, total, seed) {
		hdr := &tar.Header{
			Typeflag: it.typ, Name: it.name, Mode: it.mode, Size: it.size,
			Linkname: it.link, ModTime: mtime, Format: tar.FormatPAX,
		}
		if it.typ == tar.TypeDir {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", it.name, err)
		}
		e := treeEntry{Type: it.typ, Mode: it.mode, Size: it.size, Link: it.link}
		if it.typ == tar.TypeReg {
			h := sha256.New()
			if _, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(newPRNG(seed+uint64(i)), it.size)); err != nil {
				return nil, fmt.Errorf("tar content %s: %w", it.name, err)
			}
			e.Sum = hex.EncodeToString(h.Sum(nil))
		}
		want[it.name] = e
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("tar close: %w", err)
	}
	return want, nil
}

// checkTree reads a tar stream and reports how it differs from want (at
// most a few dozen differences), hashing file contents as they stream by.
func checkTree(r io.Reader, want map[string]treeEntry) ([]string, error) {
	var problems []string
	report := func(format string, args ...any) {
		if len(problems) < 40 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	seen := map[string]bool{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return problems, fmt.Errorf("reading tar: %w", err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")
		typ := hdr.Typeflag // tar.Reader already maps the old TypeRegA to TypeReg
		w, ok := want[name]
		if !ok {
			report("unexpected entry %q (type %q)", name, typ)
			continue
		}
		seen[name] = true
		if typ != w.Type {
			report("%s: type %q, want %q", name, typ, w.Type)
			continue
		}
		if w.Type != tar.TypeSymlink && hdr.Mode&0o7777 != w.Mode {
			report("%s: mode %#o, want %#o", name, hdr.Mode&0o7777, w.Mode)
		}
		switch w.Type {
		case tar.TypeSymlink:
			if hdr.Linkname != w.Link {
				report("%s: link target %q, want %q", name, hdr.Linkname, w.Link)
			}
		case tar.TypeReg:
			hc := newHashCounter()
			if _, err := io.Copy(hc, tr); err != nil {
				return problems, fmt.Errorf("reading %s: %w", name, err)
			}
			if hc.n != w.Size {
				report("%s: size %d, want %d", name, hc.n, w.Size)
			} else if hc.sum() != w.Sum {
				report("%s: content differs", name)
			}
		}
	}
	var missing []string
	for name := range want {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		report("missing entry %q", name)
	}
	return problems, nil
}
