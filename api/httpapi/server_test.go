package httpapi

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/envhost/envhost/sdk"
)

var fakeConfig = map[string]any{"deployment": map[string]any{"backend": "docker", "image": "envhost/python:3.11"}}

func TestLifecycleOverFake(t *testing.T) {
	host := newFakeHost()
	_, c := newTestServer(t, host)

	var info EnvInfo
	c.must(201, "POST", "/v1/environments?name=demo", fakeConfig, &info)
	if info.ID != "demo" || info.Image != "envhost/python:3.11" || info.State != "running" {
		t.Fatalf("created %+v", info)
	}
	var gen EnvInfo
	c.must(201, "POST", "/v1/environments", fakeConfig, &gen)
	if !strings.HasPrefix(gen.ID, "env-") {
		t.Fatalf("generated id %q, want env-...", gen.ID)
	}
	var list EnvList
	c.must(200, "GET", "/v1/environments", nil, &list)
	if len(list.Environments) != 2 {
		t.Fatalf("list: %+v", list)
	}

	var out CommunicateResponse
	c.must(200, "POST", "/v1/environments/demo/communicate", CommunicateRequest{Command: "echo hi"}, &out)
	if out.Output != "hi\n" || out.ExitCode != 0 {
		t.Fatalf("communicate: %+v", out)
	}
	c.must(200, "POST", "/v1/environments/demo/communicate", CommunicateRequest{Command: "false"}, &out)
	if out.ExitCode != 1 {
		t.Fatalf("communicate false: %+v", out)
	}
	var eb ErrorBody
	c.must(409, "POST", "/v1/environments/demo/communicate", CommunicateRequest{Command: "false", Check: "raise"}, &eb)
	if eb.Error.Class != ClassFailedPrecondition || eb.Error.Output != "partial" {
		t.Fatalf("check=raise: %+v", eb)
	}
	c.must(504, "POST", "/v1/environments/demo/communicate", CommunicateRequest{Command: "sleep 9", Timeout: 1}, &eb)
	if eb.Error.Class != ClassDeadlineExceeded || eb.Error.Output != "so far" {
		t.Fatalf("timeout: %+v", eb)
	}

	var ex ExecuteResponse
	c.must(200, "POST", "/v1/environments/demo/execute", ExecuteRequest{Command: []string{"ls", "/"}}, &ex)
	if ex.Stdout != "ls /\n" {
		t.Fatalf("execute: %+v", ex)
	}

	var wr WriteFileResponse
	c.must(200, "POST", "/v1/environments/demo/write_file", FileContent{Path: "/a.txt", Content: "héllo"}, &wr)
	if wr.Bytes != len("héllo") {
		t.Fatalf("write_file: %+v", wr)
	}
	var fc FileContent
	c.must(200, "POST", "/v1/environments/demo/read_file", ReadFileRequest{Path: "/a.txt"}, &fc)
	if fc.Content != "héllo" || fc.Encoding != EncodingUTF8 {
		t.Fatalf("read_file: %+v", fc)
	}
	bin := []byte{0xff, 0x00, 0xfe}
	c.must(200, "POST", "/v1/environments/demo/write_file",
		FileContent{Path: "/b.bin", Content: base64.StdEncoding.EncodeToString(bin), Encoding: EncodingBase64}, nil)
	c.must(200, "POST", "/v1/environments/demo/read_file", ReadFileRequest{Path: "/b.bin"}, &fc)
	if got, _ := base64.StdEncoding.DecodeString(fc.Content); fc.Encoding != EncodingBase64 || string(got) != string(bin) {
		t.Fatalf("binary read_file: %+v", fc)
	}
	if st, class := c.errClass("POST", "/v1/environments/demo/read_file", ReadFileRequest{Path: "/nope"}); st != 404 || class != ClassNotFound {
		t.Fatalf("missing file: %d %s", st, class)
	}

	c.must(204, "POST", "/v1/environments/demo/set_env_variables", SetEnvRequest{Variables: map[string]string{"A": "1"}}, nil)
	c.must(204, "POST", "/v1/environments/demo/interrupt", nil, nil)
	c.must(200, "POST", "/v1/environments/demo/reset", nil, &info)
	c.must(200, "POST", "/v1/environments/demo/hard_reset", nil, &info)
	c.must(200, "POST", "/v1/environments/demo/restart_with_image", RestartWithImageRequest{Image: "envhost/python:3.13", PreserveRepoState: true}, &info)
	if info.Image != "envhost/python:3.13" {
		t.Fatalf("restart_with_image: %+v", info)
	}
	if st, class := c.errClass("POST", "/v1/environments/demo/restart_with_image", RestartWithImageRequest{Image: "missing:1"}); st != 404 || class != ClassNotFound {
		t.Fatalf("restart with missing image: %d %s", st, class)
	}
	c.must(200, "POST", "/v1/environments/demo/restart_with_config",
		map[string]any{"config": map[string]any{"image": "envhost/python:3.11"}, "preserve_repo_state": false}, &info)
	if info.Image != "envhost/python:3.11" {
		t.Fatalf("restart_with_config: %+v", info)
	}

	c.must(204, "DELETE", "/v1/environments/demo", nil, nil)
	if st, class := c.errClass("GET", "/v1/environments/demo", nil); st != 404 || class != ClassNotFound {
		t.Fatalf("after close: %d %s", st, class)
	}
	if st, class := c.errClass("DELETE", "/v1/environments/demo", nil); st != 404 || class != ClassNotFound {
		t.Fatalf("close twice: %d %s", st, class)
	}
}

func TestAuthRefusesAndChangesNothing(t *testing.T) {
	host := newFakeHost()
	s, c := newTestServer(t, host)
	c.must(201, "POST", "/v1/environments?name=demo", fakeConfig, nil)
	before := host.Calls()

	for _, tok := range []string{"", "wrong", testToken + "x", strings.ToUpper(testToken)} {
		bad := *c
		bad.token = tok
		for _, rt := range s.Routes() {
			path := strings.ReplaceAll(rt.Pattern, "{id}", "demo")
			body := any(nil)
			if rt.Method == "POST" {
				body = map[string]any{"command": "echo hi", "path": "/x", "content": "x", "image": "i",
					"variables": map[string]string{"A": "1"}}
			}
			status, data := bad.do(rt.Method, path, body)
			if status != http.StatusUnauthorized || !strings.Contains(string(data), ClassUnauthenticated) {
				t.Errorf("token %q: %s %s: status %d body %s, want 401 unauthenticated", tok, rt.Method, path, status, data)
			}
		}
	}
	// A malformed header is refused too.
	req, _ := http.NewRequest("GET", c.base+"/v1/environments", nil)
	req.Header.Set("Authorization", "Basic "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("Basic auth: status %d, want 401", resp.StatusCode)
	}
	if after := host.Calls(); !slices.Equal(before, after) {
		t.Fatalf("refused requests reached the host: before %v, after %v", before, after)
	}
	var list EnvList
	c.must(200, "GET", "/v1/environments", nil, &list)
	if len(list.Environments) != 1 || list.Environments[0].Image != "envhost/python:3.11" {
		t.Fatalf("environments changed: %+v", list)
	}
}

func TestRequestValidation(t *testing.T) {
	host := newFakeHost()
	_, c := newTestServer(t, host)
	c.must(201, "POST", "/v1/environments?name=demo", fakeConfig, nil)
	cases := []struct {
		name         string
		method, path string
		body         any
		status       int
		class        string
	}{
		{"bad name", "POST", "/v1/environments?name=a/b", fakeConfig, 400, ClassInvalidArgument},
		{"duplicate name", "POST", "/v1/environments?name=demo", fakeConfig, 409, ClassAlreadyExists},
		{"config not an object", "POST", "/v1/environments", "[1]", 400, ClassInvalidArgument},
		{"config invalid", "POST", "/v1/environments", map[string]any{"deployment": map[string]any{}}, 400, ClassInvalidArgument},
		{"bad json", "POST", "/v1/environments/demo/communicate", "{", 400, ClassInvalidArgument},
		{"unknown field", "POST", "/v1/environments/demo/communicate", map[string]any{"command": "x", "bogus": 1}, 400, ClassInvalidArgument},
		{"trailing data", "POST", "/v1/environments/demo/communicate", `{"command":"x"} {}`, 400, ClassInvalidArgument},
		{"no command", "POST", "/v1/environments/demo/communicate", map[string]any{}, 400, ClassInvalidArgument},
		{"bad check", "POST", "/v1/environments/demo/communicate", map[string]any{"command": "x", "check": "maybe"}, 400, ClassInvalidArgument},
		{"empty argv", "POST", "/v1/environments/demo/execute", map[string]any{"command": []string{}}, 400, ClassInvalidArgument},
		{"argv and shell", "POST", "/v1/environments/demo/execute", map[string]any{"command": []string{"ls"}, "shell": "ls"}, 400, ClassInvalidArgument},
		{"bad base64", "POST", "/v1/environments/demo/write_file", FileContent{Path: "/x", Content: "!!", Encoding: "base64"}, 400, ClassInvalidArgument},
		{"no image", "POST", "/v1/environments/demo/restart_with_image", map[string]any{}, 400, ClassInvalidArgument},
		{"no config", "POST", "/v1/environments/demo/restart_with_config", map[string]any{}, 400, ClassInvalidArgument},
		{"unknown env", "POST", "/v1/environments/nope/communicate", CommunicateRequest{Command: "x"}, 404, ClassNotFound},
		{"too large", "POST", "/v1/environments/demo/communicate", `{"command":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, ClassTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, class := c.errClass(tc.method, tc.path, tc.body)
			if st != tc.status || class != tc.class {
				t.Fatalf("got %d %s, want %d %s", st, class, tc.status, tc.class)
			}
		})
	}
	// write_file takes bodies over 1 MiB (up to 64 MiB).
	big := strings.Repeat("y", 3*MaxBodyBytes)
	var wr WriteFileResponse
	c.must(200, "POST", "/v1/environments/demo/write_file", FileContent{Path: "/big", Content: big}, &wr)
	if wr.Bytes != len(big) {
		t.Fatalf("big write: %+v", wr)
	}
}

func TestErrorClassMapping(t *testing.T) {
	cases := []struct {
		err    error
		status int
		class  string
	}{
		{fmt.Errorf("x: %w", sdk.ErrNotFound), 404, ClassNotFound},
		{sdk.Errorf(sdk.ErrInvalidArgument, "bad"), 400, ClassInvalidArgument},
		{sdk.Errorf(sdk.ErrAlreadyExists, "dup"), 409, ClassAlreadyExists},
		{sdk.Errorf(sdk.ErrFailedPrecondition, "state"), 409, ClassFailedPrecondition},
		{sdk.Errorf(sdk.ErrUnavailable, "down"), 503, ClassUnavailable},
		{sdk.Errorf(sdk.ErrDeadlineExceeded, "slow"), 504, ClassDeadlineExceeded},
		{sdk.Errorf(sdk.ErrCanceled, "gone"), StatusClientClosedRequest, ClassCanceled},
		{sdk.Errorf(sdk.ErrUnimplemented, "no"), 501, ClassUnimplemented},
		{errors.New("boom"), 500, ClassInternal},
	}
	for _, tc := range cases {
		st, body := errorBody(tc.err)
		if st != tc.status || body.Error.Class != tc.class || body.Error.Message != tc.err.Error() {
			t.Errorf("%v: got %d %+v, want %d %s", tc.err, st, body, tc.status, tc.class)
		}
	}
}

func TestCreateErrorsMapped(t *testing.T) {
	host := newFakeHost()
	host.createErr = fmt.Errorf("open backend: %w", sdk.Errorf(sdk.ErrUnavailable, "engine down"))
	_, c := newTestServer(t, host)
	if st, class := c.errClass("POST", "/v1/environments", fakeConfig); st != 503 || class != ClassUnavailable {
		t.Fatalf("got %d %s", st, class)
	}
}

func TestEventStream(t *testing.T) {
	host := newFakeHost()
	_, c := newTestServer(t, host)
	c.must(201, "POST", "/v1/environments?name=demo", fakeConfig, nil)

	req, _ := http.NewRequest("GET", c.base+"/v1/environments/demo/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, ": events of demo") {
		t.Fatalf("first line %q", line)
	}
	c.must(200, "POST", "/v1/environments/demo/reset", nil, nil)
	c.must(204, "DELETE", "/v1/environments/demo", nil, nil)
	var events []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if strings.HasPrefix(line, "event: ") {
			events = append(events, strings.TrimSpace(strings.TrimPrefix(line, "event: ")))
		}
		if strings.HasPrefix(line, "data: ") && !strings.Contains(line, `"type"`) && !strings.Contains(line, "{}") {
			t.Fatalf("data line without an event: %q", line)
		}
	}
	if !slices.Equal(events, []string{"reset.end", "end"}) {
		t.Fatalf("events %v, want [reset.end end]", events)
	}
}

func TestServerCloseClosesEnvironments(t *testing.T) {
	host := newFakeHost()
	s, c := newTestServer(t, host)
	c.must(201, "POST", "/v1/environments?name=a", fakeConfig, nil)
	c.must(201, "POST", "/v1/environments?name=b", fakeConfig, nil)
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls := host.Calls()
	if !slices.Contains(calls, "close a") || !slices.Contains(calls, "close b") {
		t.Fatalf("calls %v: want both environments closed", calls)
	}
	if st, class := c.errClass("POST", "/v1/environments", fakeConfig); st != 503 || class != ClassUnavailable {
		t.Fatalf("create after close: %d %s", st, class)
	}
}
