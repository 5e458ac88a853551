package pluginhost_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envhost/envhost/core/pluginhost"
	"github.com/envhost/envhost/sdk"
)

func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 0\n"), mode); err != nil {
		t.Fatal(err)
	}
}

func TestFindMissingNamesFileAndDirs(t *testing.T) {
	d1, d2, pathDir := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("PATH", pathDir)
	_, err := pluginhost.Find("nope", []string{d1, d2})
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("Find = %v, want ErrNotFound", err)
	}
	exe, _ := os.Executable()
	for _, want := range []string{"envhost-plugin-nope", d1, d2, filepath.Dir(exe), pathDir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestFindOrder(t *testing.T) {
	d1, d2, pathDir := t.TempDir(), t.TempDir(), t.TempDir()
	t.Setenv("PATH", pathDir)
	writeFile(t, filepath.Join(pathDir, "envhost-plugin-x"), 0o755)
	got, err := pluginhost.Find("x", []string{d1, d2})
	if err != nil || got != filepath.Join(pathDir, "envhost-plugin-x") {
		t.Fatalf("Find from PATH = %q, %v", got, err)
	}
	writeFile(t, filepath.Join(d2, "envhost-plugin-x"), 0o755)
	got, err = pluginhost.Find("x", []string{d1, d2})
	if err != nil || got != filepath.Join(d2, "envhost-plugin-x") {
		t.Fatalf("Find with configured dir = %q, %v", got, err)
	}
	writeFile(t, filepath.Join(d1, "envhost-plugin-x"), 0o755)
	got, err = pluginhost.Find("x", []string{d1, d2})
	if err != nil || got != filepath.Join(d1, "envhost-plugin-x") {
		t.Fatalf("Find with first configured dir = %q, %v", got, err)
	}
}

func TestFindNotExecutable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", "")
	p := filepath.Join(dir, "envhost-plugin-x")
	writeFile(t, p, 0o644)
	_, err := pluginhost.Find("x", []string{dir})
	if !errors.Is(err, sdk.ErrFailedPrecondition) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not executable") {
		t.Fatalf("Find = %v, want a not-executable error naming %s", err, p)
	}
	// Launch reports the same.
	_, err = pluginhost.Launch(t.Context(), "x", pluginhost.Options{Dirs: []string{dir}})
	if !errors.Is(err, sdk.ErrFailedPrecondition) || !strings.Contains(err.Error(), p) {
		t.Fatalf("Launch = %v", err)
	}
}

func TestFindBadName(t *testing.T) {
	for _, name := range []string{"", "../x", "a/b"} {
		if _, err := pluginhost.Find(name, nil); !errors.Is(err, sdk.ErrInvalidArgument) {
			t.Errorf("Find(%q) = %v, want ErrInvalidArgument", name, err)
		}
	}
}
