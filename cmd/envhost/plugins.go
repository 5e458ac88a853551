package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core"
	"github.com/envhost/envhost/core/pluginhost"
)

const pluginsSynopsis = "envhost plugins [-f env.yaml] [--plugin-dir DIR]..."

const pluginsDescription = `
Lists every backend plugin (an executable named envhost-plugin-<name>) found in
the --plugin-dir directories, the config's plugin_dirs (-f), beside the envhost executable and on PATH, in that
order: the first one found of a name is the one used, later ones are listed as
shadowed. Each one used is started to ask its version and whether its engine
answers.

Exit status 1 when no plugin is found.`

// pluginPrefix starts the name of every backend plugin executable.
const pluginPrefix = pluginhost.BinaryPrefix

// foundPlugin is one plugin executable on disk.
type foundPlugin struct {
	name     string // backend name: the part after envhost-plugin-
	path     string
	shadowed bool   // another plugin of the same name comes first
	problem  string // why it cannot be used (not executable), if so
}

// addConfigPluginDirs appends the plugin_dirs of the config file (if any)
// to dirs.
func addConfigPluginDirs(dirs *stringList, file string) error {
	if file == "" {
		return nil
	}
	cfg, err := core.LoadConfig(file)
	if err != nil {
		return err
	}
	*dirs = append(*dirs, cfg.PluginDirs...)
	return nil
}

// pluginDirs lists where plugins are looked for, in pluginhost's order:
// dirs, the executable's directory, PATH.
func pluginDirs(dirs []string) []string { return pluginhost.SearchDirs(dirs) }

// findPlugins scans dirs (see pluginDirs) for plugin executables.
func findPlugins(dirs []string) []foundPlugin {
	var out []foundPlugin
	first := map[string]bool{}
	for _, d := range pluginDirs(dirs) {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, ent := range entries {
			n := ent.Name()
			if !strings.HasPrefix(n, pluginPrefix) || len(n) == len(pluginPrefix) {
				continue
			}
			p := filepath.Join(d, n)
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			st, err := os.Stat(p)
			if err != nil {
				continue
			}
			name := strings.TrimPrefix(n, pluginPrefix)
			fp := foundPlugin{name: name, path: p, shadowed: first[name]}
			switch {
			case st.IsDir():
				fp.problem = "a directory, not an executable"
			case st.Mode().Perm()&0o111 == 0:
				fp.problem = "not executable (chmod +x it)"
			}
			out = append(out, fp)
			first[name] = true
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// pluginStatus is what starting a plugin told.
type pluginStatus struct {
	version string // backend version
	engine  string // engine name and version, when it answers
	err     error  // starting it or asking Info failed
}

// probePlugin starts the plugin executable at path and asks Info.
func probePlugin(ctx context.Context, name, path string, log hclog.Logger) pluginStatus {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := pluginhost.Launch(ctx, name, pluginhost.Options{Path: path, Logger: log})
	if err != nil {
		return pluginStatus{err: err}
	}
	defer b.Close()
	info, err := b.Info(ctx)
	st := pluginStatus{version: info.Version}
	if err != nil {
		st.err = err
		return st
	}
	st.engine = strings.TrimSpace(info.Engine + " " + info.EngineVersion)
	if info.APIVersion != "" {
		st.engine += " (API " + info.APIVersion + ")"
	}
	return st
}

func pluginsCmd(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("plugins", a.stderr)
	var dirs stringList
	configFile := fs.String("f", "", "also search the plugin_dirs of this config `file`")
	fs.Var(&dirs, "plugin-dir", "look for plugins in this directory first (repeatable)")
	a.logOpts.register(fs)
	usage := commandUsage(fs, pluginsSynopsis, pluginsDescription)
	if err := parseFlags(fs, args, a.stdout, usage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("plugins takes no arguments (got %q)", fs.Args())
	}
	if err := a.logOpts.validate(); err != nil {
		return err
	}
	if err := addConfigPluginDirs(&dirs, *configFile); err != nil {
		return err
	}
	log := a.logOpts.quietLogger("envhost", a.stderr)
	found := findPlugins(dirs)
	if len(found) == 0 {
		return fmt.Errorf("no backend plugin (%s*) found in %s", pluginPrefix, strings.Join(pluginDirs(dirs), string(os.PathListSeparator)))
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tENGINE\tPATH")
	for _, p := range found {
		if p.shadowed {
			fmt.Fprintf(tw, "%s\t-\tshadowed by an earlier one\t%s\n", p.name, p.path)
			continue
		}
		if p.problem != "" {
			fmt.Fprintf(tw, "%s\t-\tunusable: %s\t%s\n", p.name, p.problem, p.path)
			continue
		}
		st := probePlugin(ctx, p.name, p.path, log)
		version, engine := st.version, st.engine
		if version == "" {
			version = "?"
		}
		if st.err != nil {
			engine = "not answering: " + oneLine(st.err.Error(), 120)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.name, version, engine, p.path)
	}
	return tw.Flush()
}

// oneLine keeps the first line of s, at most n bytes.
func oneLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
