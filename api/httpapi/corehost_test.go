package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/envhost/envhost/core"
	"github.com/envhost/envhost/sdk"
)

func TestCoreErrorsClassed(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		class  string
		output string
	}{
		{"timeout", fmt.Errorf("run: %w", core.ErrTimeout), http.StatusGatewayTimeout, ClassDeadlineExceeded, ""},
		{"check raise", &core.CommandError{Command: "false", ExitCode: 1, Output: "boom"}, http.StatusConflict, ClassFailedPrecondition, "boom"},
		{"closed", core.ErrClosed, http.StatusConflict, ClassFailedPrecondition, ""},
		{"not running", fmt.Errorf("x: %w", core.ErrNotRunning), http.StatusConflict, ClassFailedPrecondition, ""},
		{"no session", fmt.Errorf("%w %q", core.ErrNoSession, "s"), http.StatusNotFound, ClassNotFound, ""},
		{"classed stays", fmt.Errorf("image: %w", sdk.ErrNotFound), http.StatusNotFound, ClassNotFound, ""},
		{"unavailable", sdk.Errorf(sdk.ErrUnavailable, "engine down"), http.StatusServiceUnavailable, ClassUnavailable, ""},
		{"plain", errors.New("boom"), http.StatusInternalServerError, ClassInternal, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := classed(tc.err)
			if err.Error() != tc.err.Error() {
				t.Errorf("message changed: %q -> %q", tc.err, err)
			}
			st, body := errorBody(err)
			if st != tc.status || body.Error.Class != tc.class || body.Error.Output != tc.output {
				t.Errorf("got %d %+v, want %d %s output %q", st, body, tc.status, tc.class, tc.output)
			}
		})
	}
	// Output of a timed-out command is attached.
	st, body := errorBody(withOutput(classed(core.ErrTimeout), "so far"))
	if st != http.StatusGatewayTimeout || body.Error.Output != "so far" {
		t.Errorf("timeout with output: %d %+v", st, body)
	}
	// A bad config is an invalid argument.
	if _, err := core.ParseConfig([]byte(`{"deployment": {"imgae": "x"}}`)); err == nil {
		t.Fatal("bad config parsed")
	} else if st, body := errorBody(invalid(err)); st != 400 || body.Error.Class != ClassInvalidArgument {
		t.Errorf("bad config: %d %+v", st, body)
	}
}

func TestCoreHostRejectsBadConfig(t *testing.T) {
	_, c := newTestServer(t, &CoreHost{})
	for _, body := range []string{
		`{"deployment": {"imgae": "envhost/python:3.11"}}`,
		`{"deployment": {}}`,
		`{"deployment": {"image": "x", "pull": "sometimes"}}`,
		`{"deployment": {"image": "x"}, "repo": {"path": "a", "repo_name": "b"}}`,
	} {
		if st, class := c.errClass("POST", "/v1/environments", body); st != 400 || class != ClassInvalidArgument {
			t.Errorf("%s: %d %s, want 400 invalid_argument", body, st, class)
		}
	}
}
