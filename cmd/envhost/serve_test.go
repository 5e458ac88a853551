package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/envhost/envhost/internal/testenv"
	"github.com/envhost/envhost/sdk"
)

// TestServeBinary runs the built `envhost serve`: it writes a generated
// token to a 0600 file whose path it logs, refuses requests without it,
// serves the OpenAPI document, creates an environment, and on SIGTERM
// shuts down closing every environment (its container is removed).
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("needs engines and built binaries; not in -short mode")
	}
	testenv.UseEngines(t)
	tokenFile := filepath.Join(t.TempDir(), "sub", "token")
	cmd := exec.Command(filepath.Join(binDir, "envhost"), "serve", "--log-format", "json",
		"--addr", "127.0.0.1:0", "--token-file", tokenFile)
	cmd.Env = append(os.Environ(), "ENVHOST_TOKEN=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var logs syncBuffer
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["@message"] == "listening" {
				addrc <- line["addr"].(string)
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	var addr string
	select {
	case addr = <-addrc:
	case err := <-exited:
		t.Fatalf("serve exited: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not log its address:\n%s", logs.String())
	}
	st, err := os.Stat(tokenFile)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(data))
	if len(token) < 32 || !strings.Contains(logs.String(), tokenFile) {
		t.Errorf("token %q; token file path not logged:\n%s", token, logs.String())
	}

	base := "http://" + addr
	call := func(method, path, tok string, body any) (int, []byte) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, r)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	if st, _ := call("GET", "/v1/environments", "", nil); st != 401 {
		t.Fatalf("no token: %d, want 401", st)
	}
	if st, body := call("GET", "/openapi.yaml", token, nil); st != 200 || !bytes.HasPrefix(body, []byte("openapi: 3")) {
		t.Fatalf("openapi: %d %.30q", st, body)
	}
	name := "serve-bin-" + strings.ReplaceAll(time.Now().Format("150405.000"), ".", "")
	cfg := map[string]any{"deployment": map[string]any{"backend": "docker", "image": testenv.ImagePy311, "pull": "never"}}
	if st, body := call("POST", "/v1/environments?name="+name, token, cfg); st != 201 {
		t.Fatalf("create: %d %s\n%s", st, body, logs.String())
	}
	if st, body := call("POST", "/v1/environments/"+name+"/communicate", token,
		map[string]any{"command": "python3 --version"}); st != 200 || !bytes.Contains(body, []byte("Python 3.11")) {
		t.Fatalf("communicate: %d %s", st, body)
	}
	e := &engine{backend: "docker", addr: os.Getenv("DOCKER_HOST")}
	if n := countContainers(t, e, name); n != 1 {
		t.Fatalf("%d containers for %s, want 1", n, name)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("serve did not stop after SIGTERM:\n%s", logs.String())
	}
	if n := countContainers(t, e, name); n != 0 {
		t.Fatalf("%d containers left for %s after shutdown, want 0\n%s", n, name, logs.String())
	}
	if !strings.Contains(logs.String(), "all environments closed") {
		t.Errorf("shutdown not logged:\n%s", logs.String())
	}
}

func countContainers(t *testing.T, e *engine, envName string) int {
	t.Helper()
	list, err := e.listManaged(context.Background(), sdk.LabelManaged)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range list {
		if c.Labels[sdk.LabelEnv] == envName {
			n++
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
