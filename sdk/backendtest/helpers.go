package backendtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envhost/envhost/sdk"
)

// spec returns a container spec for the suite's image with the suite label.
func (s *suite) spec() sdk.Spec {
	return sdk.Spec{
		Image:  s.opts.Image,
		Labels: map[string]string{LabelSuite: "true"},
	}
}

// create creates a container from spec and removes it when t ends.
func create(t *testing.T, ctx context.Context, b sdk.Backend, spec sdk.Spec) sdk.Container {
	t.Helper()
	c, err := b.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create(%s): %v", spec.Image, err)
	}
	if c.ID == "" {
		t.Fatal("Create returned an empty container id")
	}
	t.Cleanup(func() { removeNow(t, b, c.ID) })
	return c
}

// start creates a container from the suite's default spec.
func (s *suite) start(t *testing.T, ctx context.Context, b sdk.Backend) sdk.Container {
	t.Helper()
	return create(t, ctx, b, s.spec())
}

// removeNow removes container id with a context of its own (the case's may
// be gone), reporting a failure.
func removeNow(t *testing.T, b sdk.Backend, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Remove(ctx, id, sdk.RemoveOptions{}); err != nil {
		t.Errorf("Remove(%s): %v", id, err)
	}
}

// result is the outcome of one exec whose output fits in memory.
type result struct {
	Stdout, Stderr string
	Code           int
}

// run executes cmd in container id with stdin (may be nil) and returns its
// output, failing t on an Exec error.
func run(t *testing.T, ctx context.Context, b sdk.Backend, spec sdk.ExecSpec, stdin io.Reader) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code, err := b.Exec(ctx, spec, sdk.ExecIO{Stdin: stdin, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatalf("Exec(%q): %v", spec.Cmd, err)
	}
	return result{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
}

// sh runs `sh -c script` in container id and returns its output.
func sh(t *testing.T, ctx context.Context, b sdk.Backend, id, script string) result {
	t.Helper()
	return run(t, ctx, b, sdk.ExecSpec{ContainerID: id, Cmd: []string{"sh", "-c", script}}, nil)
}

// shOK runs script, failing t unless it exits 0, and returns its stdout.
func shOK(t *testing.T, ctx context.Context, b sdk.Backend, id, script string) string {
	t.Helper()
	r := sh(t, ctx, b, id, script)
	if r.Code != 0 {
		t.Fatalf("sh -c %q: exit %d, stdout %q, stderr %q", script, r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// wantClass fails t unless err is of class want.
func wantClass(t *testing.T, what string, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want %v", what, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %q of class %v, want class %v", what, err, sdk.Class(err), want)
	}
}

// info returns the backend's Info, failing t on error.
func info(t *testing.T, ctx context.Context, b sdk.Backend) sdk.Info {
	t.Helper()
	i, err := b.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	return i
}

// claims reports whether the backend claims capability c. When it does not,
// the case's feature is not exercised and the log says so: Info was checked
// and reports the capability absent, which is what the suite asks of it.
func claims(t *testing.T, i sdk.Info, c string) bool {
	t.Helper()
	if i.Has(c) {
		return true
	}
	t.Logf("backend %s does not claim capability %q: checked that Info says so; feature not exercised", i.Name, c)
	return false
}

// uniqueName returns a container name unlikely to collide.
func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// signalWriter is an io.Writer that closes a channel on the first write.
type signalWriter struct {
	once sync.Once
	ch   chan struct{}
	mu   sync.Mutex
	buf  bytes.Buffer
}

func newSignalWriter() *signalWriter { return &signalWriter{ch: make(chan struct{})} }

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	w.once.Do(func() { close(w.ch) })
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// eventually polls cond every 100ms until it holds or d passes.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// trim trims surrounding white space.
func trim(s string) string { return strings.TrimSpace(s) }
