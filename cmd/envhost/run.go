package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/envhost/envhost/core"
	"github.com/envhost/envhost/core/shell"
)

const runSynopsis = "envhost run -f env.yaml [--image IMG] [--backend NAME] [--timeout DUR] -- CMD [ARG...]"

const runDescription = `
Starts the environment described by the config file (image, repository,
post-startup commands), runs CMD in its shell session, prints the command's
output (stdout and stderr, as the shell saw them) on stdout, closes the
environment and exits with the command's exit status.

One CMD argument is run as shell text ("cd src && make"); several are quoted
as one command line (python -c 'print(1)').

Exit status: the command's; 1 when the environment fails; 2 on a usage error;
130 when interrupted.`

func runCmd(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("run", a.stderr)
	file := fs.String("f", "", "the environment's config `file` (YAML); required")
	fs.StringVar(file, "file", "", "same as -f")
	image := fs.String("image", "", "run this `image` instead of the config's deployment.image")
	backend := fs.String("backend", "", "use this backend `name` (docker, podman, ...) instead of the config's")
	timeout := fs.Duration("timeout", 0, "stop CMD after this `duration` (0: no limit)")
	a.logOpts.register(fs)
	usage := commandUsage(fs, runSynopsis, runDescription)
	if err := parseFlags(fs, args, a.stdout, usage); err != nil {
		return err
	}
	if err := a.logOpts.validate(); err != nil {
		return err
	}
	if *file == "" {
		return usagef("run: -f env.yaml is required")
	}
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		return usagef("run: no command given (envhost run -f env.yaml -- CMD...)")
	}
	if *timeout < 0 {
		return usagef("run: --timeout must not be negative")
	}
	cfg, err := core.LoadConfig(*file)
	if err != nil {
		return err
	}
	if *image != "" {
		cfg.Deployment.Image = *image
	}
	if *backend != "" {
		cfg.Deployment.Backend = *backend
	}

	log := a.logOpts.logger("envhost", a.stderr)
	tty := a.logOpts.format == "text" && isTerminal(a.stderr)
	envLog := log
	if tty {
		// The progress line reports the steps; keep warnings and errors.
		envLog = a.logOpts.quietLogger("envhost", a.stderr)
	}
	prog := newProgress(a.stderr, tty, log)
	env, err := core.New(cfg, core.WithLogger(envLog), core.WithEventHandler(prog.handle))
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := env.Close(cctx); err != nil {
			log.Warn("closing the environment", "error", err)
		}
		prog.done()
	}()
	if err := env.Start(ctx); err != nil {
		prog.done()
		if ctx.Err() != nil {
			fmt.Fprintln(a.stderr, "envhost: interrupted")
			return &exitError{code: 130}
		}
		return err
	}
	prog.done()

	limit := *timeout
	if limit == 0 {
		limit = 365 * 24 * time.Hour
	}
	res, err := env.Communicate(ctx, commandLine(cmdArgs), core.CommunicateOptions{Timeout: limit})
	writeOutput(a.stdout, res.Output)
	switch {
	case err == nil:
		if res.Truncated {
			log.Warn("the command's output was cut to the session's cap")
		}
		return &exitError{code: res.ExitCode}
	case ctx.Err() != nil:
		fmt.Fprintln(a.stderr, "envhost: interrupted")
		return &exitError{code: 130}
	case errors.Is(err, core.ErrTimeout):
		return fmt.Errorf("command timed out after %s: %w", *timeout, err)
	}
	return err
}

// commandLine turns run's CMD arguments into shell text: one argument is
// taken as it is, several are quoted. It runs in a subshell, so that an
// `exit N` ends the command with status N rather than the session's shell.
func commandLine(args []string) string {
	text := args[0]
	if len(args) > 1 {
		q := make([]string, len(args))
		for i, a := range args {
			q[i] = shell.Quote(a)
		}
		text = strings.Join(q, " ")
	}
	return "(\n" + text + "\n)"
}

// writeOutput prints the command's output, ending it with a newline when
// the command did not.
func writeOutput(w io.Writer, out string) {
	if out == "" {
		return
	}
	io.WriteString(w, out)
	if !strings.HasSuffix(out, "\n") {
		io.WriteString(w, "\n")
	}
}
