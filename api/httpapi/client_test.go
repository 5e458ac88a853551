package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

const testToken = "test-token-0123456789"

// apiClient calls a test server, validating every response against the
// OpenAPI document.
type apiClient struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

// newTestServer serves host over httptest with testToken and returns a
// client of it. The server's environments are closed at cleanup.
func newTestServer(t testing.TB, host Host) (*Server, *apiClient) {
	t.Helper()
	s, err := New(Options{Host: host, Token: testToken, Logger: hclog.New(&hclog.LoggerOptions{
		Level: hclog.Debug, Output: testWriter{t}})})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		_ = s.Close(t.Context())
	})
	c := &apiClient{t: t, base: ts.URL, token: testToken, http: &http.Client{
		Transport: &checkingTransport{t: t, spec: loadSpec(t), base: http.DefaultTransport},
	}}
	return s, c
}

// do sends a request with a JSON body (a string body is sent as it is) and
// returns the status and body.
func (c *apiClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, data
}

// must sends a request and fails the test unless the status is want; it
// decodes a JSON answer into out when out is not nil.
func (c *apiClient) must(want int, method, path string, body, out any) {
	c.t.Helper()
	status, data := c.do(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
}

// errClass sends a request expecting an error and returns its status and class.
func (c *apiClient) errClass(method, path string, body any) (int, string) {
	c.t.Helper()
	status, data := c.do(method, path, body)
	var eb ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil {
		c.t.Fatalf("%s %s: status %d, body not an error object: %s", method, path, status, data)
	}
	return status, eb.Error.Class
}

func readAllAndReplace(resp *http.Response) ([]byte, error) {
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return data, nil
}

// testWriter sends log output to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
