package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that every route is documented and that
// every documented path+method is routed (answered by a handler, not by
// the mux's own 404/405).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	sp := loadSpec(t)
	s, c := newTestServer(t, newFakeHost())

	var routes []string
	for _, rt := range s.Routes() {
		routes = append(routes, rt.Method+" "+rt.Pattern)
	}
	slices.Sort(routes)
	documented := sp.operations()
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not documented in api/openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("api/openapi.yaml documents %s, which is not routed", d)
		}
		method, tmpl, _ := strings.Cut(d, " ")
		path := strings.ReplaceAll(tmpl, "{id}", "no-such-env")
		status, data := c.do(method, path, nil)
		// The handlers answer JSON (or YAML for the document); the mux's
		// own answers for unrouted requests are plain text.
		if status == http.StatusMethodNotAllowed || strings.HasPrefix(string(data), "404 page not found") {
			t.Errorf("%s: not routed (status %d, body %q)", d, status, data)
		}
	}
	// Each operation documents the 401 every route can answer.
	for _, d := range documented {
		method, tmpl, _ := strings.Cut(d, " ")
		_, op, _ := sp.operation(method, strings.ReplaceAll(tmpl, "{id}", "x"))
		if resp, _ := op["responses"].(map[string]any); resp["401"] == nil {
			t.Errorf("%s: 401 not documented", d)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	_, c := newTestServer(t, newFakeHost())
	status, data := c.do("GET", "/openapi.yaml", nil)
	if status != 200 || !strings.HasPrefix(string(data), "openapi: 3.") {
		t.Fatalf("GET /openapi.yaml: %d %.40q", status, data)
	}
}

func TestSpecValidatorCatchesMismatches(t *testing.T) {
	sp := loadSpec(t)
	cases := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/v1/environments", 200, `{}`},                                         // required field missing
		{"GET", "/v1/environments", 418, `{"environments":[]}`},                        // status not documented
		{"POST", "/v1/environments/x/communicate", 200, `{"output":1,"exit_code":0}`},  // wrong type
		{"GET", "/v1/nothing", 200, `{}`},                                              // path not documented
		{"GET", "/v1/environments/x", 404, `{"error":{"class":"nope","message":"m"}}`}, // class not in enum
	}
	for _, tc := range cases {
		if err := sp.checkResponse(tc.method, tc.path, tc.status, "application/json", []byte(tc.body)); err == nil {
			t.Errorf("%s %s %d %s: validator accepted it", tc.method, tc.path, tc.status, tc.body)
		}
	}
	if err := sp.checkResponse("GET", "/v1/environments", 200, "application/json", []byte(`{"environments":[]}`)); err != nil {
		t.Errorf("valid response refused: %v", err)
	}
}
