package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/envhost/envhost/api"
)

// spec is the parsed OpenAPI document with a small validator: enough to
// check that responses use documented status codes and carry the required
// fields with the documented types.
type spec struct {
	doc   map[string]any
	paths []specPath
}

type specPath struct {
	template string
	re       *regexp.Regexp
	ops      map[string]map[string]any // lower-case method -> operation
}

func loadSpec(t testing.TB) *spec {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("parse api/openapi.yaml: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("api/openapi.yaml: openapi = %q, want 3.x", v)
	}
	s := &spec{doc: doc}
	paths, _ := doc["paths"].(map[string]any)
	for tmpl, v := range paths {
		item, _ := v.(map[string]any)
		p := specPath{template: tmpl, ops: map[string]map[string]any{}}
		p.re = regexp.MustCompile("^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$")
		for m, op := range item {
			if o, ok := op.(map[string]any); ok && m != "parameters" {
				p.ops[m] = o
			}
		}
		s.paths = append(s.paths, p)
	}
	sort.Slice(s.paths, func(i, j int) bool { return s.paths[i].template < s.paths[j].template })
	return s
}

// operations lists "METHOD /template" for every documented operation.
func (s *spec) operations() []string {
	var out []string
	for _, p := range s.paths {
		for m := range p.ops {
			out = append(out, strings.ToUpper(m)+" "+p.template)
		}
	}
	sort.Strings(out)
	return out
}

// operation finds the documented operation for a request.
func (s *spec) operation(method, path string) (string, map[string]any, bool) {
	for _, p := range s.paths {
		if p.re.MatchString(path) {
			op, ok := p.ops[strings.ToLower(method)]
			return p.template, op, ok
		}
	}
	return "", nil, false
}

// resolve follows a local $ref.
func (s *spec) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for i := 0; i < 10 && m != nil; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = s.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[part]
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

// checkResponse validates a response to method+path: its status is
// documented, and a JSON body matches the documented schema.
func (s *spec) checkResponse(method, path string, status int, contentType string, body []byte) error {
	tmpl, op, ok := s.operation(method, path)
	if !ok {
		return fmt.Errorf("%s %s: not documented", method, path)
	}
	responses, _ := op["responses"].(map[string]any)
	resp := s.resolve(responses[strconv.Itoa(status)])
	if resp == nil {
		return fmt.Errorf("%s %s: status %d not documented (documented: %v)", method, tmpl, status, keys(responses))
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) != 0 {
			return fmt.Errorf("%s %s %d: documented without a body, got %q", method, tmpl, status, body)
		}
		return nil
	}
	mt := strings.TrimSpace(strings.Split(contentType, ";")[0])
	media := s.resolve(content[mt])
	if media == nil {
		return fmt.Errorf("%s %s %d: content type %q not documented (documented: %v)", method, tmpl, status, mt, keys(content))
	}
	if mt != "application/json" {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("%s %s %d: body is not JSON: %v", method, tmpl, status, err)
	}
	if err := s.validate(media["schema"], v, "body"); err != nil {
		return fmt.Errorf("%s %s %d: %w", method, tmpl, status, err)
	}
	return nil
}

// validate checks v against schema: type, required, properties, items,
// enum and additionalProperties schemas.
func (s *spec) validate(schemaV any, v any, at string) error {
	sc := s.resolve(schemaV)
	if sc == nil {
		return nil
	}
	if enum, ok := sc["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: %v not in enum %v", at, v, enum)
		}
	}
	switch typ, _ := sc["type"].(string); typ {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want object, got %T", at, v)
		}
		req, _ := sc["required"].([]any)
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: required field %q missing", at, r)
			}
		}
		props, _ := sc["properties"].(map[string]any)
		for k, val := range obj {
			if ps, ok := props[k]; ok {
				if err := s.validate(ps, val, at+"."+k); err != nil {
					return err
				}
				continue
			}
			switch ap := sc["additionalProperties"].(type) {
			case map[string]any:
				if err := s.validate(ap, val, at+"."+k); err != nil {
					return err
				}
			case bool:
				if !ap {
					return fmt.Errorf("%s: field %q not documented", at, k)
				}
			case nil:
				if props != nil {
					return fmt.Errorf("%s: field %q not documented", at, k)
				}
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want array, got %T", at, v)
		}
		for i, x := range arr {
			if err := s.validate(sc["items"], x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: want string, got %T", at, v)
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s: want integer, got %v", at, v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("%s: want number, got %T", at, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: want boolean, got %T", at, v)
		}
	}
	return nil
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkingTransport validates every response that passes through it
// against the spec and reports violations on t.
type checkingTransport struct {
	t    testing.TB
	spec *spec
	base http.RoundTripper
}

func (c *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp, err
	}
	body, rerr := readAllAndReplace(resp)
	if rerr != nil {
		return nil, rerr
	}
	if err := c.spec.checkResponse(req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), body); err != nil {
		c.t.Errorf("response does not match api/openapi.yaml: %v", err)
	}
	return resp, nil
}
