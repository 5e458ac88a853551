package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/go-hclog"
)

var (
	// errHelp: --help was asked for and printed; exit 0.
	errHelp = errors.New("help requested")
	// errFlagParse: the flag package already printed the problem; exit 2.
	errFlagParse = errors.New("bad flags")
)

// newFlagSet returns a flag set that reports errors to stderr instead of
// exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, mapping -h/--help to errHelp (after printing the
// usage on stdout) and other problems to errFlagParse.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer, usage func(w io.Writer)) error {
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return errHelp
		}
		fmt.Fprintln(fs.Output())
		usage(fs.Output())
		return errFlagParse
	}
	return nil
}

// commandUsage prints a subcommand's usage line, description and flags.
func commandUsage(fs *flag.FlagSet, synopsis, description string) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintf(w, "Usage: %s\n\n%s\n", synopsis, strings.TrimSpace(description))
		has := false
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprint(w, "\nFlags:\n")
			out := fs.Output()
			fs.SetOutput(w)
			fs.PrintDefaults()
			fs.SetOutput(out)
		}
	}
}

// logOptions are the logging flags every command takes.
type logOptions struct {
	format string
	level  string
}

func (o *logOptions) register(fs *flag.FlagSet) {
	if o.format == "" {
		o.format = "text"
	}
	if o.level == "" {
		o.level = "info"
	}
	fs.StringVar(&o.format, "log-format", o.format, "log format: text, or json for machines (hclog JSON lines)")
	fs.StringVar(&o.level, "log-level", o.level, "log level: trace, debug, info, warn, error")
}

func (o *logOptions) validate() error {
	switch o.format {
	case "text", "json":
	default:
		return usagef("--log-format %q: want text or json", o.format)
	}
	if hclog.LevelFromString(o.level) == hclog.NoLevel {
		return usagef("--log-level %q: want trace, debug, info, warn or error", o.level)
	}
	return nil
}

// logger builds the hclog logger of the options, writing to w.
func (o *logOptions) logger(name string, w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.LevelFromString(o.level),
		Output:     w,
		JSONFormat: o.format == "json",
	})
}

// quietLogger is logger, but at warn level when the level asked for is
// info: for plugin processes started only to ask something, whose start and
// exit lines would be noise.
func (o *logOptions) quietLogger(name string, w io.Writer) hclog.Logger {
	l := o.logger(name, w)
	if l.GetLevel() == hclog.Info {
		l.SetLevel(hclog.Warn)
	}
	return l
}
