package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/api"
	"github.com/envhost/envhost/sdk"
)

// Options configure a Server.
type Options struct {
	// Host creates the environments. Required.
	Host Host
	// Token every request must present as "Authorization: Bearer <token>".
	// Required: the server never runs without one.
	Token string
	// Logger; nil means hclog.NewNullLogger().
	Logger hclog.Logger
}

// Server is the HTTP API over a Host. It owns the environments created
// through it; Close closes them all.
type Server struct {
	host    Host
	log     hclog.Logger
	handler http.Handler

	mu     sync.Mutex
	envs   map[string]Env
	closed bool

	streamsDone chan struct{} // closed when event streams must end
	stopOnce    sync.Once
}

// New returns a Server. Serve its Handler with net/http.
func New(opts Options) (*Server, error) {
	if opts.Host == nil {
		return nil, errors.New("httpapi: Options.Host is required")
	}
	if opts.Token == "" {
		return nil, errors.New("httpapi: Options.Token is required")
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &Server{host: opts.Host, log: log, envs: map[string]Env{}, streamsDone: make(chan struct{})}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, rt.handler)
	}
	s.handler = s.logRequests(requireToken(opts.Token, mux))
	return s, nil
}

// Handler returns the server's HTTP handler (authentication included).
func (s *Server) Handler() http.Handler { return s.handler }

// Close closes every environment the server holds and refuses new ones.
// It returns the errors of the closes that failed, joined.
func (s *Server) Close(ctx context.Context) error {
	s.stopStreams()
	s.mu.Lock()
	s.closed = true
	envs := s.envs
	s.envs = map[string]Env{}
	s.mu.Unlock()
	var errs []error
	for id, e := range envs {
		s.log.Info("closing environment", "id", id)
		if err := e.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// stopStreams ends every event stream (at shutdown).
func (s *Server) stopStreams() { s.stopOnce.Do(func() { close(s.streamsDone) }) }

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// add registers e under id.
func (s *Server) add(id string, e Env) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return sdk.Errorf(sdk.ErrUnavailable, "server is shutting down")
	}
	if _, dup := s.envs[id]; dup {
		return sdk.Errorf(sdk.ErrAlreadyExists, "environment %q already exists", id)
	}
	s.envs[id] = e
	return nil
}

// get returns the environment with id, or a NotFound error.
func (s *Server) get(id string) (Env, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.envs[id]
	if !ok {
		return nil, sdk.Errorf(sdk.ErrNotFound, "environment %q not found", id)
	}
	return e, nil
}

// remove drops id from the server and returns its environment.
func (s *Server) remove(id string) (Env, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.envs[id]
	if !ok {
		return nil, sdk.Errorf(sdk.ErrNotFound, "environment %q not found", id)
	}
	delete(s.envs, id)
	return e, nil
}

// list returns the environments' infos sorted by id.
func (s *Server) list() []EnvInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EnvInfo, 0, len(s.envs))
	for id, e := range s.envs {
		info := e.Info()
		info.ID = id
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func newID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "env-" + hex.EncodeToString(b)
}

// serveOpenAPI serves the embedded OpenAPI document.
func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(api.OpenAPI)
}

// logRequests logs each request at debug level with its status.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status)
	})
}

// statusWriter records the status written; it keeps http.Flusher working
// for the event stream.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
