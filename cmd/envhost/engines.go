package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// engine is a container engine's API endpoint, reached directly (not
// through a plugin) by doctor and gc.
type engine struct {
	backend string // "docker" or "podman"
	envVar  string // DOCKER_HOST or CONTAINER_HOST
	addr    string // unix:///..., tcp://host:port
	fromEnv bool   // addr came from envVar
	client  *http.Client
	base    string // URL prefix of API calls
}

// Default engine sockets, where envVar is unset.
const (
	defaultDockerSocket  = "/var/run/docker.sock"
	defaultPodmanSocket  = "/run/podman/podman.sock"
	privateEnginesRunDir = "/run/envhost-engines"
)

// engines returns the Docker and Podman endpoints as the plugins find them:
// DOCKER_HOST / CONTAINER_HOST when set, else the standard sockets (for
// Podman, the rootless one under XDG_RUNTIME_DIR when the rootful one is
// absent).
func engines() []*engine {
	docker := &engine{backend: "docker", envVar: "DOCKER_HOST", addr: "unix://" + defaultDockerSocket}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		docker.addr, docker.fromEnv = h, true
	}
	podman := &engine{backend: "podman", envVar: "CONTAINER_HOST", addr: "unix://" + defaultPodmanSocket}
	if h := os.Getenv("CONTAINER_HOST"); h != "" {
		podman.addr, podman.fromEnv = h, true
	} else if _, err := os.Stat(defaultPodmanSocket); err != nil {
		if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
			if p := filepath.Join(d, "podman", "podman.sock"); fileExists(p) {
				podman.addr = "unix://" + p
			}
		}
	}
	return []*engine{docker, podman}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// errUnsupportedAddr: an address this direct client cannot reach (ssh://).
var errUnsupportedAddr = errors.New("address scheme not supported by the direct engine client (only unix:// and tcp://)")

// connect prepares the HTTP client of e.
func (e *engine) connect() error {
	if e.client != nil {
		return nil
	}
	u, err := url.Parse(e.addr)
	if err != nil {
		return fmt.Errorf("%s %q: %w", e.envVar, e.addr, err)
	}
	tr := &http.Transport{DisableKeepAlives: true}
	switch u.Scheme {
	case "unix":
		path := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		e.base = "http://engine"
	case "tcp", "http":
		e.base = "http://" + u.Host
	default:
		return fmt.Errorf("%s=%s: %w", e.envVar, e.addr, errUnsupportedAddr)
	}
	e.client = &http.Client{Transport: tr}
	return nil
}

// Timeouts of engine API calls: most answer at once; Podman's info and a
// busy engine's list or remove take seconds.
const (
	callTimeout     = 15 * time.Second
	slowCallTimeout = 60 * time.Second
)

// call does an API request (within callTimeout) and decodes a JSON answer
// into out (when not nil). A non-2xx answer is an *engineHTTPError.
func (e *engine) call(ctx context.Context, method, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return e.do(ctx, method, path, out)
}

// callSlow is call with slowCallTimeout.
func (e *engine) callSlow(ctx context.Context, method, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, slowCallTimeout)
	defer cancel()
	return e.do(ctx, method, path, out)
}

func (e *engine) do(ctx context.Context, method, path string, out any) error {
	if err := e.connect(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s engine at %s: %w", e.backend, e.addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s engine at %s: %s %s: %w", e.backend, e.addr, method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &m)
		if m.Message == "" {
			m.Message = strings.TrimSpace(string(body))
		}
		return &engineHTTPError{status: resp.StatusCode, msg: fmt.Sprintf("%s engine: %s %s: %d %s", e.backend, method, path, resp.StatusCode, m.Message)}
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%s engine: %s %s: decode answer: %w", e.backend, method, path, err)
		}
	}
	return nil
}

type engineHTTPError struct {
	status int
	msg    string
}

func (e *engineHTTPError) Error() string { return e.msg }

// ping checks the engine answers /_ping.
func (e *engine) ping(ctx context.Context) error {
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping answered %s", resp.Status)
	}
	return nil
}

// problem classifies a connection error: the socket is missing or nobody
// listens ("down"), or this user may not open it ("permission").
func connProblem(err error) string {
	switch {
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, os.ErrPermission):
		return "permission"
	case errors.Is(err, errUnsupportedAddr):
		return "unsupported"
	}
	return "down"
}

// managedContainer is a container carrying the envhost labels.
type managedContainer struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Image  string            `json:"Image"`
	State  string            `json:"State"`
	Labels map[string]string `json:"Labels"`
}

// listManaged lists every container (running or not) labelled
// io.envhost.managed=true. Docker's /containers/json and Podman's
// compatible endpoint take the same label filter.
func (e *engine) listManaged(ctx context.Context, label string) ([]managedContainer, error) {
	filters, _ := json.Marshal(map[string][]string{"label": {label + "=true"}})
	var out []managedContainer
	err := e.callSlow(ctx, "GET", "/containers/json?all=1&filters="+url.QueryEscape(string(filters)), &out)
	return out, err
}

// removeContainer force-removes a container (and its anonymous volumes).
// A container already gone is not an error.
func (e *engine) removeContainer(ctx context.Context, id string) error {
	err := e.callSlow(ctx, "DELETE", "/containers/"+url.PathEscape(id)+"?force=1&v=1", nil)
	var he *engineHTTPError
	if errors.As(err, &he) && he.status == http.StatusNotFound {
		return nil
	}
	return err
}
