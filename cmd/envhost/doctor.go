package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

const doctorSynopsis = "envhost doctor [--backend docker|podman] [-f env.yaml] [--plugin-dir DIR]..."

const doctorDescription = `
Checks what envhost needs and says how to fix what is wrong: an engine answering
for each backend (DOCKER_HOST / CONTAINER_HOST or the standard sockets), access
to its socket, the Podman settings this kind of machine needs (runtime runc and
default_ulimits within the machine's hard limits, through CONTAINERS_CONF), and
the backend plugin binaries (envhost-plugin-docker, envhost-plugin-podman).

Exit status 1 when something is wrong.`

// finding is one doctor result line.
type finding struct {
	ok      bool
	subject string
	msg     string
	fix     string
}

func doctorCmd(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("doctor", a.stderr)
	backend := fs.String("backend", "", "only check this backend: docker or podman (default: both)")
	var dirs stringList
	configFile := fs.String("f", "", "also search the plugin_dirs of this config `file`")
	fs.Var(&dirs, "plugin-dir", "also look for plugins in this directory (repeatable)")
	a.logOpts.register(fs)
	usage := commandUsage(fs, doctorSynopsis, doctorDescription)
	if err := parseFlags(fs, args, a.stdout, usage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("doctor takes no arguments (got %q)", fs.Args())
	}
	if err := a.logOpts.validate(); err != nil {
		return err
	}
	if err := addConfigPluginDirs(&dirs, *configFile); err != nil {
		return err
	}
	if *backend != "" && *backend != "docker" && *backend != "podman" {
		return usagef("--backend %q: want docker or podman", *backend)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var all []finding
	for _, e := range engines() {
		if *backend != "" && e.backend != *backend {
			continue
		}
		fsEngine := checkEngine(ctx, e)
		all = append(all, fsEngine...)
		engineUp := len(fsEngine) > 0 && fsEngine[0].ok
		all = append(all, checkPlugin(ctx, a, e.backend, dirs, engineUp)...)
	}
	problems := printFindings(a.stdout, all)
	if problems > 0 {
		fmt.Fprintf(a.stdout, "\n%d problem(s) found.\n", problems)
		return &exitError{code: exitFailure}
	}
	fmt.Fprintln(a.stdout, "\nno problems found.")
	return nil
}

func printFindings(w io.Writer, all []finding) int {
	problems := 0
	for _, f := range all {
		mark := "ok  "
		if !f.ok {
			mark = "FAIL"
			problems++
		}
		fmt.Fprintf(w, "%s  %s: %s\n", mark, f.subject, f.msg)
		if f.fix != "" {
			for _, line := range strings.Split(f.fix, "\n") {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
	return problems
}

// checkEngine checks one engine: it answers, its version, and for Podman
// the settings of ENGINES.md. The first finding is whether it answers.
func checkEngine(ctx context.Context, e *engine) []finding {
	subject := e.backend + " engine"
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := e.ping(pctx)
	cancel()
	if err != nil {
		return []finding{engineDown(e, err)}
	}
	var v struct {
		Version    string `json:"Version"`
		APIVersion string `json:"ApiVersion"`
	}
	msg := "answers at " + e.addr
	if err := e.call(ctx, "GET", "/version", &v); err == nil && v.Version != "" {
		msg += fmt.Sprintf(" (version %s, API %s)", v.Version, v.APIVersion)
	}
	out := []finding{{ok: true, subject: subject, msg: msg}}
	if e.backend == "podman" {
		out = append(out, checkPodmanSettings(ctx, e)...)
	}
	return out
}

// engineDown explains an engine that does not answer.
func engineDown(e *engine, err error) finding {
	f := finding{subject: e.backend + " engine"}
	where := e.addr
	if e.fromEnv {
		where = fmt.Sprintf("%s (%s)", e.addr, e.envVar)
	}
	switch connProblem(err) {
	case "permission":
		f.msg = fmt.Sprintf("permission denied on the socket at %s", where)
		if e.backend == "docker" {
			f.fix = "run envhost as root, or add your user to the docker group (usermod -aG docker $USER, then log in again),\n" +
				"or set DOCKER_HOST to an engine socket you may open"
		} else {
			f.fix = "run envhost as root, or start a rootless service you own (podman system service --time=0 &)\n" +
				"and set CONTAINER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock"
		}
	case "unsupported":
		f.ok = true
		f.msg = fmt.Sprintf("%s: cannot be checked directly (only unix:// and tcp://); the plugin check below covers it", where)
	default:
		f.msg = fmt.Sprintf("no engine answering at %s: %v", where, shortErr(err))
		f.fix = fmt.Sprintf("start the engines with `make engines` (or: eval \"$(scripts/engines.sh up)\"),\n"+
			"or set %s to the address of a running %s", e.envVar, map[string]string{
			"docker": "Docker engine (unix:///var/run/docker.sock, tcp://...)",
			"podman": "Podman API service (podman system service --time=0 unix:///path/podman.sock)",
		}[e.backend])
	}
	return f
}

// shortErr drops the noisy prefix of a net/http dial error.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": dial "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// checkPlugin checks that the backend's plugin binary is found and starts.
// Its engine's state is reported by checkEngine; a plugin that cannot
// reach an engine that answers is a problem of its own.
func checkPlugin(ctx context.Context, a *app, backend string, dirs []string, engineUp bool) []finding {
	subject := "plugin " + pluginPrefix + backend
	var path string
	for _, p := range findPlugins(dirs) {
		if p.name != backend || p.shadowed {
			continue
		}
		if p.problem != "" {
			return []finding{{subject: subject, msg: p.path + " is " + p.problem,
				fix: "rebuild it with `make build`, or remove it so the next one on the search path is used"}}
		}
		path = p.path
	}
	if path == "" {
		return []finding{{subject: subject, msg: "not found in " + strings.Join(pluginDirs(dirs), ":"),
			fix: "build it with `make build` (binaries in ./bin) and put it beside envhost or on PATH,\n" +
				"or name its directory with --plugin-dir (plugin_dirs in the config)"}}
	}
	log := a.logOpts.logger("envhost", io.Discard)
	st := probePlugin(ctx, backend, path, log)
	switch {
	case st.err != nil && !engineUp:
		return []finding{{ok: true, subject: subject, msg: fmt.Sprintf("%s (version %s); it cannot reach its engine, see above", path, orUnknown(st.version))}}
	case st.err != nil:
		return []finding{{subject: subject, msg: fmt.Sprintf("%s does not work: %s", path, oneLine(st.err.Error(), 200)),
			fix: "rebuild it with `make build`; run `envhost plugins --log-level debug` to see its log"}}
	}
	return []finding{{ok: true, subject: subject, msg: fmt.Sprintf("%s (version %s, engine %s)", path, orUnknown(st.version), st.engine)}}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
