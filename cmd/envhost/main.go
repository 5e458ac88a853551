// Command envhost hosts sandboxed container environments for coding agents.
//
//	envhost run -f env.yaml [--image IMG] [--backend NAME] -- CMD...
//	envhost serve [--addr 127.0.0.1:7480] [--token-file PATH]
//	envhost plugins
//	envhost doctor
//	envhost gc [--dry-run]
//
// Exit codes: 0 success, 1 failure, 2 usage error; `run` exits with the
// command's own exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

func commands() []command {
	return []command{
		{"run", "start an environment from a config, run a command in it, close it", runCmd},
		{"serve", "serve environments over an HTTP/JSON API", serveCmd},
		{"plugins", "list the backend plugins found and whether their engines answer", pluginsCmd},
		{"doctor", "check the set-up (engines, sockets, Podman settings, plugins) and say how to fix it", doctorCmd},
		{"gc", "remove containers left by envhost processes that are gone", gcCmd},
	}
}

// app carries a command's streams and options.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logOpts        logOptions
}

// usageError is a command-line mistake: it exits 2 with the message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError ends the program with code, printing nothing more (the command
// already said what happened).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Main runs envhost with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	fs := newFlagSet("envhost", stderr)
	a.logOpts.register(fs)
	if err := parseFlags(fs, args, stdout, mainUsage); err != nil {
		return exitCode(err, stderr)
	}
	if err := a.logOpts.validate(); err != nil {
		return exitCode(err, stderr)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		mainUsage(stderr)
		return exitUsage
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 {
			return Main(ctx, []string{rest[1], "--help"}, stdin, stdout, stderr)
		}
		mainUsage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, a, rest[1:])
		return exitCode(err, stderr)
	}
	fmt.Fprintf(stderr, "envhost: unknown command %q\n\n", name)
	mainUsage(stderr)
	return exitUsage
}

// exitCode reports err on stderr and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errFlagParse):
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "envhost: %s\n", ue.msg)
		return exitUsage
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintf(stderr, "envhost: %v\n", err)
	return exitFailure
}

func mainUsage(w io.Writer) {
	fmt.Fprint(w, `envhost hosts sandboxed container environments for coding agents.

Usage:
  envhost [--log-format text|json] [--log-level LEVEL] <command> [flags] [args]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "envhost <command> --help" for a command's flags.

Engines: Docker is reached at DOCKER_HOST (default unix:///var/run/docker.sock),
Podman at CONTAINER_HOST (default /run/podman/podman.sock). Backend plugins
(envhost-plugin-<name>) are found in the config's plugin_dirs, beside the envhost
executable, and on PATH.

Exit codes: 0 ok, 1 failure, 2 usage error ("run" exits with the command's code).
`)
}
