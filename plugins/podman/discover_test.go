package podman

import (
	"errors"
	"testing"

	"github.com/envhost/envhost/sdk"
)

type fakeEnv struct {
	vars  map[string]string
	files map[string]bool
}

func (e fakeEnv) Getenv(k string) string { return e.vars[k] }
func (e fakeEnv) Exists(p string) bool   { return e.files[p] }

func TestDiscoverURI(t *testing.T) {
	for _, tc := range []struct {
		name  string
		vars  map[string]string
		files []string
		want  string
	}{
		{"container host wins", map[string]string{"CONTAINER_HOST": "ssh://u@h/run/podman/podman.sock", "XDG_RUNTIME_DIR": "/run/user/1"},
			[]string{RootfulSocket, "/run/user/1/podman/podman.sock"}, "ssh://u@h/run/podman/podman.sock"},
		{"rootful before rootless", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1"},
			[]string{RootfulSocket, "/run/user/1/podman/podman.sock"}, "unix:///run/podman/podman.sock"},
		{"rootless", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1"},
			[]string{"/run/user/1/podman/podman.sock"}, "unix:///run/user/1/podman/podman.sock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]bool{}
			for _, f := range tc.files {
				files[f] = true
			}
			got, err := DiscoverURI(fakeEnv{tc.vars, files})
			if err != nil || got != tc.want {
				t.Errorf("DiscoverURI = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestDiscoverURINone(t *testing.T) {
	_, err := DiscoverURI(fakeEnv{map[string]string{"XDG_RUNTIME_DIR": "/run/user/7"}, nil})
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("DiscoverURI with no socket: %v, want ErrUnavailable", err)
	}
	for _, want := range []string{RootfulSocket, "/run/user/7/podman/podman.sock", "CONTAINER_HOST"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestNewWithoutEngine(t *testing.T) {
	t.Setenv("CONTAINER_HOST", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	b, err := New(Options{URI: "unix://" + t.TempDir() + "/none.sock"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = b.Info(t.Context())
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Info on a missing socket: %v (class %v), want ErrUnavailable", err, sdk.Class(err))
	}
	if _, err := New(Options{URI: "http://localhost:1"}); !errors.Is(err, sdk.ErrInvalidArgument) {
		t.Errorf("New with an http URI: %v, want ErrInvalidArgument", err)
	}
}
