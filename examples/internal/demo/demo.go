// Package demo is the plumbing the example programs share: their flags,
// finding the plugin directory, printing lifecycle events, and making a
// throwaway git repository.
package demo

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core"
)

// Flags are the options every example takes.
type Flags struct {
	Backend   string
	ImageFrom string
	ImageTo   string
	PluginDir string
	Repo      string
	Verbose   bool
}

// ParseFlags parses the command line into Flags.
func ParseFlags() Flags {
	var f Flags
	backend := os.Getenv("ENVHOST_BACKEND")
	if backend == "" {
		backend = "docker"
	}
	flag.StringVar(&f.Backend, "backend", backend, "engine backend: docker, podman or another plugin (env ENVHOST_BACKEND)")
	flag.StringVar(&f.ImageFrom, "image-from", "envhost/python:3.11", "image to start on")
	flag.StringVar(&f.ImageTo, "image-to", "envhost/python:3.13", "image to restart on")
	flag.StringVar(&f.PluginDir, "plugin-dir", "", "directory holding envhost-plugin-* binaries (default: ./bin of the repository, or this program's directory)")
	flag.StringVar(&f.Repo, "repo", "", "git repository to work on (default: a new one in a temporary directory)")
	flag.BoolVar(&f.Verbose, "v", false, "log debug output of envhost and its plugins")
	flag.Parse()
	return f
}

// PluginDirs returns where to look for backend plugins: -plugin-dir when
// given, else the bin directory at the root of the envhost repository this
// runs in (where `make` puts the plugins), and this program's directory.
func (f Flags) PluginDirs() []string {
	if f.PluginDir != "" {
		return []string{f.PluginDir}
	}
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dirs = append(dirs, filepath.Join(d, "bin"))
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	return dirs
}

// Logger returns envhost's logger: errors only (failed steps show as
// events already), everything with -v.
func (f Flags) Logger() hclog.Logger {
	level := hclog.Error
	if f.Verbose {
		level = hclog.Debug
	}
	return hclog.New(&hclog.LoggerOptions{Name: "envhost", Level: level, Output: os.Stderr})
}

// Printer prints lifecycle events as they happen: the whole operations
// (start, restart, ...) as headings, their steps with durations.
type Printer struct {
	W     io.Writer
	mu    sync.Mutex
	begin map[string]string // step -> detail of its begin event
}

// longID matches engine ids (64 hex digits), shown shortened as docker ps does.
var longID = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

var wholeSteps = map[string]bool{core.StepStart: true, core.StepRestart: true, core.StepHardReset: true}

// Handle is a core.EventHandler.
func (p *Printer) Handle(ev core.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.begin == nil {
		p.begin = map[string]string{}
	}
	switch ev.Phase {
	case core.PhaseBegin:
		p.begin[ev.Step] = ev.Detail
		if wholeSteps[ev.Step] {
			fmt.Fprintf(p.W, "==> %s: %s\n", ev.Step, ev.Detail)
		}
	case core.PhaseEnd:
		detail := ev.Detail
		if detail == "" {
			detail = p.begin[ev.Step]
		}
		detail = longID.ReplaceAllStringFunc(detail, func(id string) string { return id[:12] })
		switch {
		case !ev.OK():
			fmt.Fprintf(p.W, "    %-15s FAILED after %s: %s\n", ev.Step, Round(ev.Duration), ev.Err)
		case wholeSteps[ev.Step]:
			fmt.Fprintf(p.W, "    %s done in %s\n", ev.Step, Round(ev.Duration))
		default:
			fmt.Fprintf(p.W, "    %-15s %8s  %s\n", ev.Step, Round(ev.Duration), detail)
		}
	}
}

// Round rounds d for display.
func Round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// RepoDir returns the repository the example works on: -repo when given,
// else a new demo repository (see MakeRepo), with a function that removes
// what it made.
func (f Flags) RepoDir(ctx context.Context) (string, func(), error) {
	if f.Repo != "" {
		return f.Repo, func() {}, nil
	}
	dir, cleanup, err := MakeRepo(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("making a demo repository: %w", err)
	}
	return dir, cleanup, nil
}

// MakeRepo creates a git repository in a new temporary directory: one
// tracked file, hello.py, and a first commit. It returns the directory and
// a function removing it.
func MakeRepo(ctx context.Context) (string, func(), error) {
	parent, err := os.MkdirTemp("", "envhost-example-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.RemoveAll(parent) }
	dir := filepath.Join(parent, "demo-repo")
	if err := os.Mkdir(dir, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.py"), []byte("print('hello from envhost')\n"), 0o644); err != nil {
		cleanup()
		return "", nil, err
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "hello.py"},
		{"-c", "user.name=envhost", "-c", "user.email=envhost@example.invalid", "commit", "-q", "-m", "first commit"},
	} {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			cleanup()
			return "", nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return dir, cleanup, nil
}
