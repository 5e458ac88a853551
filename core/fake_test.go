package core

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/sdk"
)

// fakeFile is a file or directory of a fake container.
type fakeFile struct {
	data []byte
	dir  bool
}

type fakeFS map[string]fakeFile

func (fs fakeFS) clone() fakeFS { return maps.Clone(fs) }

// fakeContainer is an in-memory container.
type fakeContainer struct {
	id      string
	image   string
	spec    sdk.Spec
	fs      fakeFS
	removed bool
	cmds    []string            // commands run in its sessions
	envs    []map[string]string // env of each session opened
}

// fakeBackend is an in-memory sdk.Backend: images are file trees,
// containers copies of them; calls are recorded in a shared log.
type fakeBackend struct {
	name string
	log  *callLog

	mu         sync.Mutex
	images     map[string]fakeFS
	containers map[string]*fakeContainer
	order      []string
	nextID     int
	closed     bool

	failCreate  error
	failSession error
}

type callLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *callLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, s)
}

func (l *callLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

func newFakeBackend(name string, log *callLog, images ...string) *fakeBackend {
	b := &fakeBackend{name: name, log: log, images: map[string]fakeFS{}, containers: map[string]*fakeContainer{}}
	for _, img := range images {
		b.images[img] = fakeFS{"/": {dir: true}, "/tmp": {dir: true}}
	}
	return b
}

func (b *fakeBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: b.name}, nil
}

func (b *fakeBackend) EnsureImage(_ context.Context, req sdk.ImageRequest, progress sdk.ProgressFunc) (sdk.Image, error) {
	b.log.add(b.name + " EnsureImage " + req.Image)
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.images[req.Image]; !ok {
		return sdk.Image{}, fmt.Errorf("image %q: %w", req.Image, sdk.ErrNotFound)
	}
	if progress != nil {
		progress(sdk.ImageProgress{Status: "present"})
	}
	return sdk.Image{ID: "sha256:" + req.Image}, nil
}

func (b *fakeBackend) Create(_ context.Context, spec sdk.Spec) (sdk.Container, error) {
	b.log.add(b.name + " Create " + spec.Image)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failCreate != nil {
		return sdk.Container{}, b.failCreate
	}
	img, ok := b.images[spec.Image]
	if !ok {
		return sdk.Container{}, fmt.Errorf("image %q: %w", spec.Image, sdk.ErrNotFound)
	}
	b.nextID++
	id := fmt.Sprintf("%s-c%d", b.name, b.nextID)
	b.containers[id] = &fakeContainer{id: id, image: spec.Image, spec: spec, fs: img.clone()}
	b.order = append(b.order, id)
	return sdk.Container{ID: id, Name: spec.Name}, nil
}

func (b *fakeBackend) container(id string) (*fakeContainer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok || c.removed {
		return nil, fmt.Errorf("container %s: %w", id, sdk.ErrNotFound)
	}
	return c, nil
}

func (b *fakeBackend) Exec(_ context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	b.log.add(b.name + " Exec " + strings.Join(spec.Cmd, " "))
	c, err := b.container(spec.ContainerID)
	if err != nil {
		return -1, err
	}
	if len(spec.Cmd) == 3 && spec.Cmd[0] == "mkdir" {
		b.mu.Lock()
		c.fs.mkdirAll(spec.Cmd[2])
		b.mu.Unlock()
		return 0, nil
	}
	if stdio.Stdout != nil {
		fmt.Fprintf(stdio.Stdout, "exec:%s cwd=%s FOO=%s\n", strings.Join(spec.Cmd, " "), spec.WorkingDir, spec.Env["FOO"])
	}
	if stdio.Stderr != nil {
		fmt.Fprint(stdio.Stderr, "err\n")
	}
	return 0, nil
}

func (fs fakeFS) mkdirAll(p string) {
	for p != "/" && p != "." {
		fs[p] = fakeFile{dir: true}
		p = path.Dir(p)
	}
}

func (b *fakeBackend) CopyIn(_ context.Context, id, destDir string, r io.Reader) error {
	b.log.add(b.name + " CopyIn " + destDir)
	c, err := b.container(id)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	destDir = path.Clean(destDir)
	if f, ok := c.fs[destDir]; !ok || !f.dir {
		return fmt.Errorf("dir %s: %w", destDir, sdk.ErrNotFound)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := path.Join(destDir, h.Name)
		c.fs.mkdirAll(path.Dir(p))
		if h.Typeflag == tar.TypeDir {
			c.fs[p] = fakeFile{dir: true}
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		c.fs[p] = fakeFile{data: data}
	}
}

func (b *fakeBackend) CopyOut(_ context.Context, id, src string, w io.Writer) error {
	b.log.add(b.name + " CopyOut " + src)
	c, err := b.container(id)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	src = path.Clean(src)
	if _, ok := c.fs[src]; !ok {
		return fmt.Errorf("path %s: %w", src, sdk.ErrNotFound)
	}
	var paths []string
	for p := range c.fs {
		if p == src || strings.HasPrefix(p, src+"/") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	tw := tar.NewWriter(w)
	parent := path.Dir(src)
	for _, p := range paths {
		f := c.fs[p]
		name := strings.TrimPrefix(strings.TrimPrefix(p, parent), "/")
		h := &tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(f.data))}
		if f.dir {
			h = &tar.Header{Name: name + "/", Mode: 0o755, Typeflag: tar.TypeDir}
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

func (b *fakeBackend) Inspect(_ context.Context, id string) (sdk.ContainerState, error) {
	c, err := b.container(id)
	if err != nil {
		return sdk.ContainerState{State: sdk.StateMissing}, nil
	}
	return sdk.ContainerState{State: sdk.StateRunning, Image: c.image, Labels: c.spec.Labels}, nil
}

func (b *fakeBackend) Remove(_ context.Context, id string, _ sdk.RemoveOptions) error {
	b.log.add(b.name + " Remove " + id)
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.containers[id]; ok {
		c.removed = true
	}
	return nil
}

func (b *fakeBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

func (b *fakeBackend) live() []*fakeContainer {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*fakeContainer
	for _, id := range b.order {
		if c := b.containers[id]; !c.removed {
			out = append(out, c)
		}
	}
	return out
}

func (b *fakeBackend) file(t *testing.T, id, p string) (string, bool) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.containers[id]
	if c == nil {
		t.Fatalf("no container %s", id)
	}
	f, ok := c.fs[p]
	return string(f.data), ok
}

func (b *fakeBackend) setFile(id, p, data string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.containers[id]
	c.fs.mkdirAll(path.Dir(p))
	c.fs[p] = fakeFile{data: []byte(data)}
}

func (b *fakeBackend) commands(id string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.containers[id].cmds...)
}

// fakeSession interprets the few commands core sends (test -e, mkdir,
// git clone, export...) against the fake container's files, and records
// every command.
type fakeSession struct {
	b      *fakeBackend
	id     string
	closed chan struct{}
	once   sync.Once
}

func (b *fakeBackend) openSession(_ context.Context, _ sdk.Backend, id string, spec sessionSpec) (session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failSession != nil {
		return nil, b.failSession
	}
	c := b.containers[id]
	c.envs = append(c.envs, maps.Clone(spec.env))
	return &fakeSession{b: b, id: id, closed: make(chan struct{})}, nil
}

func unq(s string) string { return strings.Trim(s, `'"`) }

func (s *fakeSession) Run(ctx context.Context, cmd string, timeout time.Duration) (Result, error) {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.containers[s.id]
	if c.removed {
		return Result{}, ErrSessionClosed
	}
	c.cmds = append(c.cmds, cmd)
	f := strings.Fields(cmd)
	switch {
	case len(f) == 3 && f[0] == "test" && f[1] == "-e":
		if _, ok := c.fs[unq(f[2])]; ok {
			return Result{}, nil
		}
		return Result{ExitCode: 1}, nil
	case len(f) == 3 && f[0] == "mkdir":
		c.fs.mkdirAll(unq(f[2]))
	case len(f) == 5 && f[0] == "git" && f[1] == "clone":
		dst := unq(f[4])
		c.fs.mkdirAll(dst + "/.git")
		c.fs[dst+"/cloned"] = fakeFile{data: []byte(unq(f[3]))}
	case strings.HasPrefix(cmd, "git rev-parse --verify"):
		if strings.Contains(cmd, "bad") {
			return Result{ExitCode: 1}, nil
		}
	case strings.HasPrefix(cmd, "sleep"):
		b.mu.Unlock()
		defer b.mu.Lock()
		select {
		case <-ctx.Done():
		case <-s.closed:
			return Result{Output: "partial"}, ErrSessionClosed
		case <-time.After(timeout):
		}
		return Result{Output: "partial"}, fmt.Errorf("after %s: %w", timeout, ErrTimeout)
	case strings.HasPrefix(cmd, "exit "):
		var code int
		fmt.Sscan(f[1], &code)
		return Result{Output: "line1\nboom\n", ExitCode: code}, nil
	case f[0] == "echo":
		return Result{Output: strings.Join(f[1:], " ") + "\n"}, nil
	}
	return Result{}, nil
}

func (s *fakeSession) Interrupt(context.Context) error { return nil }
func (s *fakeSession) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// fakeEnv builds an environment over fake backends: "docker" (and
// "podman") with the given images.
type fakeWorld struct {
	log      *callLog
	backends map[string]*fakeBackend
	events   *eventLog
}

type eventLog struct {
	mu sync.Mutex
	ev []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, e)
}

// steps lists "step:phase" of the events since mark, skipping progress.
func (l *eventLog) steps(mark int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.ev[mark:] {
		if e.Phase == PhaseProgress {
			continue
		}
		s := e.Step + ":" + e.Phase
		if e.Err != "" {
			s += "!"
		}
		out = append(out, s)
	}
	return out
}

func (l *eventLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ev)
}

func newFakeWorld(images ...string) *fakeWorld {
	w := &fakeWorld{log: &callLog{}, backends: map[string]*fakeBackend{}, events: &eventLog{}}
	for _, n := range []string{"docker", "podman"} {
		w.backends[n] = newFakeBackend(n, w.log, images...)
	}
	return w
}

func (w *fakeWorld) newEnv(t *testing.T, cfg Config, opts ...Option) *Environment {
	t.Helper()
	opts = append([]Option{
		WithLogger(hclog.NewNullLogger()),
		WithEventHandler(w.events.add),
		WithSnapshotDir(t.TempDir()),
		WithBackendOpener(func(_ context.Context, name string) (Backend, error) {
			b, ok := w.backends[name]
			if !ok {
				return nil, fmt.Errorf("no backend plugin %q: %w", name, sdk.ErrNotFound)
			}
			return b, nil
		}),
	}, opts...)
	e, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.openSession = func(ctx context.Context, b sdk.Backend, id string, spec sessionSpec) (session, error) {
		return b.(*fakeBackend).openSession(ctx, b, id, spec)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

var _ sdk.Backend = (*fakeBackend)(nil)

// hostRepo makes a minimal git-looking directory (a .git dir and files).
func hostRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir() + "/myrepo"
	mustWrite(t, dir+"/.git/HEAD", "ref: refs/heads/main\n")
	for p, data := range files {
		mustWrite(t, dir+"/"+p, data)
	}
	return dir
}

func equalSteps(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("steps:\n got %v\nwant %v", got, want)
	}
}

func mustWrite(t testing.TB, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
