package httpapi

import (
	"net/http"
)

// Route is one method + path pattern of the API (net/http ServeMux
// syntax, "{id}" for a path parameter).
type Route struct {
	Method  string
	Pattern string
	handler http.Handler
}

// Routes lists the API's routes, as they are registered; the OpenAPI test
// checks it against api/openapi.yaml.
func (s *Server) Routes() []Route {
	rs := s.routes()
	for i := range rs {
		rs[i].handler = nil
	}
	return rs
}

const envPath = "/v1/environments/{id}"

func (s *Server) routes() []Route {
	return []Route{
		{"GET", "/openapi.yaml", http.HandlerFunc(s.serveOpenAPI)},
		{"GET", "/v1/environments", s.handle(s.listEnvs)},
		{"POST", "/v1/environments", s.handle(s.createEnv)},
		{"GET", envPath, s.envOp(s.getEnv)},
		{"DELETE", envPath, s.handle(s.closeEnv)},
		{"POST", envPath + "/communicate", s.envOp(s.communicate)},
		{"POST", envPath + "/execute", s.envOp(s.execute)},
		{"POST", envPath + "/read_file", s.envOp(s.readFile)},
		{"POST", envPath + "/write_file", s.envOp(s.writeFile)},
		{"POST", envPath + "/set_env_variables", s.envOp(s.setEnvVariables)},
		{"POST", envPath + "/interrupt", s.envOp(s.interrupt)},
		{"POST", envPath + "/reset", s.envOp(s.reset)},
		{"POST", envPath + "/hard_reset", s.envOp(s.hardReset)},
		{"POST", envPath + "/restart_with_image", s.envOp(s.restartWithImage)},
		{"POST", envPath + "/restart_with_config", s.envOp(s.restartWithConfig)},
		{"GET", envPath + "/events", http.HandlerFunc(s.events)},
	}
}

// result is what a handler answers: a status and a JSON body (nil body
// means no content).
type result struct {
	status int
	body   any
}

// handle adapts a handler that returns a result or an error.
func (s *Server) handle(f func(w http.ResponseWriter, r *http.Request) (result, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := f(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if res.body == nil {
			w.WriteHeader(res.status)
			return
		}
		writeJSON(w, res.status, res.body)
	})
}

// envOp adapts a handler of one environment, looked up by the {id} path
// parameter.
func (s *Server) envOp(f func(w http.ResponseWriter, r *http.Request, id string, e Env) (result, error)) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) (result, error) {
		id := r.PathValue("id")
		e, err := s.get(id)
		if err != nil {
			return result{}, err
		}
		return f(w, r, id, e)
	})
}

// writeError writes err as a JSON error response and logs it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorBody(err)
	if status >= 500 && status != StatusClientClosedRequest {
		s.log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	}
	writeJSON(w, status, body)
}
