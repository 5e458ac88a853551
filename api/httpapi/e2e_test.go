package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/internal/testenv"
)

// TestMain removes the plugin binaries built for the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// gitRepo makes a git repository with one commit and returns its path.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "calc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "calc.py"), []byte("def add(a, b):\n    return a + b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"}, {"add", "."},
		{"-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "initial"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// TestHTTPRestartPreservesEdit drives a real environment over HTTP on
// each engine: create it with a local git repository, edit a file, restart
// with another image preserving the repository state, read the edit back.
// Requests without the right token get 401 and change nothing. Every
// response is checked against api/openapi.yaml.
func TestHTTPRestartPreservesEdit(t *testing.T) {
	if testing.Short() {
		t.Skip("needs engines; not in -short mode")
	}
	testenv.UseEngines(t)
	dir := testenv.BuildBinaries(t, testenv.PluginPackages()...)
	for _, backend := range []string{"docker", "podman"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testRestartOverHTTP(t, backend, dir)
		})
	}
}

func testRestartOverHTTP(t *testing.T, backend, pluginDir string) {
	repo := gitRepo(t)
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: testWriter{t}})
	_, c := newTestServer(t, &CoreHost{Logger: log, PluginDirs: []string{pluginDir}})
	name := fmt.Sprintf("http-%s-%d", backend, time.Now().UnixNano()%1e6)
	cfg := map[string]any{
		"deployment":            map[string]any{"backend": backend, "image": testenv.ImagePy311, "pull": "never"},
		"repo":                  map[string]any{"path": repo},
		"post_startup_commands": []string{"echo started > /tmp/started"},
	}

	var info EnvInfo
	c.must(201, "POST", "/v1/environments?name="+name, cfg, &info)
	envPath := "/v1/environments/" + name
	t.Cleanup(func() { c.do("DELETE", envPath, nil) })
	if info.Backend != backend || info.Image != testenv.ImagePy311 || info.State != "running" || info.Container == "" {
		t.Fatalf("created: %+v", info)
	}

	events := collectEvents(t, c, envPath+"/events")

	var out CommunicateResponse
	c.must(200, "POST", envPath+"/communicate", CommunicateRequest{Command: "pwd; cat /tmp/started; python3 --version"}, &out)
	if !strings.Contains(out.Output, "/calc\n") || !strings.Contains(out.Output, "started") || !strings.Contains(out.Output, "Python 3.11") {
		t.Fatalf("communicate: %+v", out)
	}

	// Edit a tracked file and add an untracked one.
	edited := "def add(a, b):\n    return a + b  # edited over HTTP\n"
	c.must(200, "POST", envPath+"/write_file", FileContent{Path: "/calc/calc.py", Content: edited}, nil)
	c.must(200, "POST", envPath+"/write_file", FileContent{Path: "/calc/notes.txt", Content: "untracked\n"}, nil)
	c.must(204, "POST", envPath+"/set_env_variables", SetEnvRequest{Variables: map[string]string{"AGENT_STEP": "42"}}, nil)

	// Without the token, or with a wrong one: 401, and nothing changes.
	for _, tok := range []string{"", "not-the-token"} {
		bad := *c
		bad.token = tok
		for _, req := range []struct {
			path string
			body any
		}{
			{envPath + "/write_file", FileContent{Path: "/calc/calc.py", Content: "clobbered\n"}},
			{envPath + "/restart_with_image", RestartWithImageRequest{Image: testenv.ImagePy313}},
			{envPath + "/communicate", CommunicateRequest{Command: "rm -f /calc/notes.txt"}},
			{envPath + "/reset", nil},
		} {
			if st, class := bad.errClass("POST", req.path, req.body); st != http.StatusUnauthorized || class != ClassUnauthenticated {
				t.Fatalf("token %q: POST %s: %d %s, want 401 unauthenticated", tok, req.path, st, class)
			}
		}
		if st, _ := bad.errClass("DELETE", envPath, nil); st != http.StatusUnauthorized {
			t.Fatalf("token %q: DELETE: %d, want 401", tok, st)
		}
	}
	var fc FileContent
	c.must(200, "POST", envPath+"/read_file", ReadFileRequest{Path: "/calc/calc.py"}, &fc)
	if fc.Content != edited {
		t.Fatalf("after refused requests calc.py = %q", fc.Content)
	}

	start := time.Now()
	c.must(200, "POST", envPath+"/restart_with_image", RestartWithImageRequest{Image: testenv.ImagePy313, PreserveRepoState: true}, &info)
	t.Logf("%s: restart_with_image over HTTP took %s", backend, time.Since(start).Round(time.Millisecond))
	if info.Image != testenv.ImagePy313 || info.State != "running" {
		t.Fatalf("after restart: %+v", info)
	}
	c.must(200, "POST", envPath+"/read_file", ReadFileRequest{Path: "/calc/calc.py"}, &fc)
	if fc.Content != edited {
		t.Fatalf("edit lost in restart: calc.py = %q", fc.Content)
	}
	c.must(200, "POST", envPath+"/communicate", CommunicateRequest{
		Command: "python3 --version; cat notes.txt; echo step=$AGENT_STEP; git status --short",
	}, &out)
	for _, want := range []string{"Python 3.13", "untracked", "step=42", " M calc.py", "?? notes.txt"} {
		if !strings.Contains(out.Output, want) {
			t.Errorf("after restart, output lacks %q:\n%s", want, out.Output)
		}
	}

	// A timeout is a 504 carrying the output so far; the session survives.
	var eb ErrorBody
	c.must(504, "POST", envPath+"/communicate", CommunicateRequest{Command: "echo partial; sleep 30", Timeout: 1}, &eb)
	if eb.Error.Class != ClassDeadlineExceeded || !strings.Contains(eb.Error.Output, "partial") {
		t.Errorf("timeout: %+v", eb)
	}
	c.must(200, "POST", envPath+"/communicate", CommunicateRequest{Command: "echo alive"}, &out)
	if strings.TrimSpace(out.Output) != "alive" {
		t.Errorf("after timeout: %+v", out)
	}
	var ex ExecuteResponse
	c.must(200, "POST", envPath+"/execute", ExecuteRequest{Command: []string{"sh", "-c", "echo o; echo e >&2; exit 4"}}, &ex)
	if ex.Stdout != "o\n" || ex.Stderr != "e\n" || ex.ExitCode != 4 {
		t.Errorf("execute: %+v", ex)
	}
	if st, class := c.errClass("POST", envPath+"/read_file", ReadFileRequest{Path: "/calc/nope"}); st != 404 || class != ClassNotFound {
		t.Errorf("missing file: %d %s", st, class)
	}

	c.must(204, "DELETE", envPath, nil, nil)
	got := events()
	for _, want := range []string{"restart.begin", "snapshot.end", "close.end", "create.end", "repo.end", "restart.end", "end"} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("event stream lacks %q; got:\n%s", want, got)
		}
	}
}

// collectEvents reads an SSE stream in the background; the returned
// function waits for the stream's end and returns the event types, one a
// line.
func collectEvents(t *testing.T, c *apiClient, path string) func() string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		cancel()
		t.Fatalf("events: %s", resp.Status)
	}
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if typ, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				buf.WriteString(typ + "\n")
			}
		}
	}()
	t.Cleanup(cancel)
	return func() string {
		select {
		case <-done:
		case <-time.After(time.Minute):
			cancel()
			<-done
		}
		return buf.String()
	}
}
