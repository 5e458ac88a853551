// Package fakebackend is an in-memory sdk.Backend for tests of the plugin
// transport. Container filesystems are directories under a root on disk, so
// large copies stay out of memory.
//
// Exec understands a few commands (Cmd[0]):
//
//	cat                  copy stdin to stdout
//	echo ARGS...         write ARGS joined by spaces and a newline to stdout
//	stderr ARGS...       the same, to stderr
//	exit N               exit with code N
//	sleep                block until ctx ends, then return its error
//	yes N                write N bytes of PatternReader to stdout
//	fail CLASS MSG...    return an error of CLASS (see Classes) with MSG
//	pid                  write the serving process's pid to stdout
//
// Any method given the container id "error:CLASS:MSG" returns that error.
package fakebackend

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/envhost/envhost/sdk"
)

// Classes names the sdk error classes for "fail" and "error:" ids.
var Classes = map[string]error{
	"not_found":           sdk.ErrNotFound,
	"already_exists":      sdk.ErrAlreadyExists,
	"invalid_argument":    sdk.ErrInvalidArgument,
	"failed_precondition": sdk.ErrFailedPrecondition,
	"unavailable":         sdk.ErrUnavailable,
	"deadline_exceeded":   sdk.ErrDeadlineExceeded,
	"canceled":            sdk.ErrCanceled,
	"unimplemented":       sdk.ErrUnimplemented,
	"none":                nil,
}

// Fake is the fake backend.
type Fake struct {
	root string

	mu         sync.Mutex
	images     map[string]bool
	containers map[string]*container
	next       int
}

type container struct {
	name   string
	image  string
	labels map[string]string
	dir    string
}

var _ sdk.Backend = (*Fake)(nil)

// New returns a fake keeping container filesystems under root, with the
// images "present:1" and "present:2" available locally.
func New(root string) *Fake {
	return &Fake{
		root:       root,
		images:     map[string]bool{"present:1": true, "present:2": true},
		containers: map[string]*container{},
	}
}

// errorID returns the error an "error:CLASS:MSG" id asks for, or nil.
func errorID(id string) error {
	rest, ok := strings.CutPrefix(id, "error:")
	if !ok {
		return nil
	}
	class, msg, _ := strings.Cut(rest, ":")
	c, known := Classes[class]
	if !known {
		return fmt.Errorf("fake: unknown error class %q", class)
	}
	return sdk.WithClass(c, msg)
}

func (f *Fake) lookup(id string) (*container, error) {
	if err := errorID(id); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return nil, sdk.Errorf(sdk.ErrNotFound, "container %q not found", id)
	}
	return c, nil
}

// Info implements sdk.Backend.
func (f *Fake) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name: "fake", Version: "0.1", Engine: "Fake Engine", EngineVersion: "1.0",
		APIVersion: "1", Capabilities: []string{sdk.CapPullProgress, sdk.CapExecKill},
	}, nil
}

// EnsureImage implements sdk.Backend. Images whose name starts with
// "missing" cannot be pulled.
func (f *Fake) EnsureImage(_ context.Context, req sdk.ImageRequest, progress sdk.ProgressFunc) (sdk.Image, error) {
	if err := errorID(req.Image); err != nil {
		return sdk.Image{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	have := f.images[req.Image]
	policy := req.Policy
	if policy == "" {
		policy = sdk.PullMissing
	}
	if have && policy != sdk.PullAlways {
		return sdk.Image{ID: "sha256:" + req.Image}, nil
	}
	if policy == sdk.PullNever || strings.HasPrefix(req.Image, "missing") {
		return sdk.Image{}, sdk.Errorf(sdk.ErrNotFound, "image %q not found", req.Image)
	}
	if progress != nil {
		for i := int64(1); i <= 3; i++ {
			progress(sdk.ImageProgress{Status: "Downloading", Layer: "layer1", Current: i * 10, Total: 30})
		}
		progress(sdk.ImageProgress{Status: "Pull complete", Layer: "layer1"})
	}
	f.images[req.Image] = true
	return sdk.Image{ID: "sha256:" + req.Image, Pulled: true}, nil
}

// Create implements sdk.Backend.
func (f *Fake) Create(_ context.Context, spec sdk.Spec) (sdk.Container, error) {
	if err := errorID(spec.Image); err != nil {
		return sdk.Container{}, err
	}
	for k := range spec.Options {
		return sdk.Container{}, sdk.Errorf(sdk.ErrInvalidArgument, "unknown option %q", k)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.images[spec.Image] {
		return sdk.Container{}, sdk.Errorf(sdk.ErrNotFound, "image %q not found", spec.Image)
	}
	f.next++
	id := fmt.Sprintf("c%d", f.next)
	name := spec.Name
	if name == "" {
		name = "fake-" + id
	}
	for _, c := range f.containers {
		if c.name == name {
			return sdk.Container{}, sdk.Errorf(sdk.ErrAlreadyExists, "container name %q is in use", name)
		}
	}
	dir := filepath.Join(f.root, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sdk.Container{}, fmt.Errorf("fake: %w", err)
	}
	labels := map[string]string{sdk.LabelManaged: "true"}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	f.containers[id] = &container{name: name, image: spec.Image, labels: labels, dir: dir}
	return sdk.Container{ID: id, Name: name}, nil
}

// Exec implements sdk.Backend with the commands listed in the package doc.
func (f *Fake) Exec(ctx context.Context, spec sdk.ExecSpec, stdio sdk.ExecIO) (int, error) {
	if _, err := f.lookup(spec.ContainerID); err != nil {
		return -1, err
	}
	if len(spec.Cmd) == 0 {
		return -1, sdk.Errorf(sdk.ErrInvalidArgument, "empty command")
	}
	stdout, stderr := orDiscard(stdio.Stdout), orDiscard(stdio.Stderr)
	args := spec.Cmd[1:]
	switch spec.Cmd[0] {
	case "cat":
		if stdio.Stdin == nil {
			return 0, nil
		}
		if _, err := io.Copy(stdout, stdio.Stdin); err != nil {
			return -1, fmt.Errorf("fake exec cat: %w", err)
		}
		return 0, nil
	case "echo":
		_, err := fmt.Fprintln(stdout, strings.Join(args, " "))
		return 0, err
	case "stderr":
		_, err := fmt.Fprintln(stderr, strings.Join(args, " "))
		return 0, err
	case "exit":
		if len(args) != 1 {
			return -1, sdk.Errorf(sdk.ErrInvalidArgument, "exit N")
		}
		return strconv.Atoi(args[0])
	case "sleep":
		<-ctx.Done()
		return -1, ctx.Err()
	case "yes":
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return -1, sdk.Errorf(sdk.ErrInvalidArgument, "yes N: %v", err)
		}
		if _, err := io.CopyN(stdout, &PatternReader{}, n); err != nil {
			return -1, fmt.Errorf("fake exec yes: %w", err)
		}
		return 0, nil
	case "fail":
		if len(args) < 1 {
			return -1, sdk.Errorf(sdk.ErrInvalidArgument, "fail CLASS MSG")
		}
		return -1, errorID("error:" + args[0] + ":" + strings.Join(args[1:], " "))
	case "pid":
		_, err := fmt.Fprintln(stdout, os.Getpid())
		return 0, err
	}
	_, _ = fmt.Fprintf(stderr, "%s: command not found\n", spec.Cmd[0])
	return 127, nil
}

// Inspect implements sdk.Backend.
func (f *Fake) Inspect(_ context.Context, id string) (sdk.ContainerState, error) {
	if err := errorID(id); err != nil {
		return sdk.ContainerState{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return sdk.ContainerState{State: sdk.StateMissing}, nil
	}
	return sdk.ContainerState{State: sdk.StateRunning, Image: c.image, Labels: c.labels}, nil
}

// Remove implements sdk.Backend.
func (f *Fake) Remove(_ context.Context, id string, opts sdk.RemoveOptions) error {
	if err := errorID(id); err != nil {
		return err
	}
	f.mu.Lock()
	c, ok := f.containers[id]
	delete(f.containers, id)
	if ok && opts.RemoveImage {
		delete(f.images, c.image)
	}
	f.mu.Unlock()
	if ok {
		return os.RemoveAll(c.dir)
	}
	return nil
}

// Containers lists the ids of the live containers, sorted.
func (f *Fake) Containers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(f.containers))
	for id := range f.containers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// PatternReader yields a deterministic endless byte stream (byte i is
// i mod 251), so a receiver can check order and completeness.
type PatternReader struct{ off int64 }

func (r *PatternReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], patternTable[(r.off+int64(n))%251:])
	}
	r.off += int64(n)
	return n, nil
}

// patternTable holds the pattern from every phase onward for at least 32 KiB.
var patternTable = func() []byte {
	b := make([]byte, 251+32<<10)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()
