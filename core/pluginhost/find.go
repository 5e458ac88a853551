// Package pluginhost finds backend plugin executables and runs them as
// hashicorp/go-plugin gRPC plugins, presenting each as an sdk.Backend.
package pluginhost

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/envhost/envhost/sdk"
)

// BinaryPrefix starts the file name of every backend plugin executable:
// the plugin "docker" is the executable envhost-plugin-docker.
const BinaryPrefix = "envhost-plugin-"

// BinaryName returns the executable file name of the plugin name.
func BinaryName(name string) string { return BinaryPrefix + name }

// SearchDirs returns the directories Find searches, in order: dirs, the
// directory of the running executable, then the directories of $PATH.
// Duplicates and empty entries are dropped.
func SearchDirs(dirs []string) []string {
	var all []string
	all = append(all, dirs...)
	if exe, err := os.Executable(); err == nil {
		all = append(all, filepath.Dir(exe))
	}
	all = append(all, filepath.SplitList(os.Getenv("PATH"))...)
	seen := map[string]bool{}
	out := all[:0]
	for _, d := range all {
		if d == "" {
			continue
		}
		d = filepath.Clean(d)
		if seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	return out
}

// Find returns the absolute path of the executable of plugin name, the first
// file named BinaryName(name) in SearchDirs(dirs). A missing plugin is an
// sdk.ErrNotFound error naming the file and every directory searched. A
// first match that is a directory or not executable is an
// sdk.ErrFailedPrecondition error naming it: Find does not skip over it.
func Find(name string, dirs []string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", sdk.Errorf(sdk.ErrInvalidArgument, "plugin name %q is not valid", name)
	}
	file := BinaryName(name)
	searched := SearchDirs(dirs)
	for _, dir := range searched {
		p := filepath.Join(dir, file)
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		switch {
		case fi.IsDir():
			return "", sdk.Errorf(sdk.ErrFailedPrecondition, "plugin %q: %s is a directory, not an executable", name, p)
		case fi.Mode().Perm()&0o111 == 0 || syscall.Access(p, 1 /* X_OK */) != nil:
			return "", sdk.Errorf(sdk.ErrFailedPrecondition, "plugin %q: %s is not executable (mode %s); chmod +x it", name, p, fi.Mode().Perm())
		}
		return p, nil
	}
	return "", sdk.Errorf(sdk.ErrNotFound, "plugin %q not found: no executable %s in %s",
		name, file, strings.Join(searched, ", "))
}
