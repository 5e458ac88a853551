package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
)

// validName is what an environment name (and so its id) may look like.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// EnvList is the answer of GET /v1/environments.
type EnvList struct {
	Environments []EnvInfo `json:"environments"`
}

func (s *Server) listEnvs(http.ResponseWriter, *http.Request) (result, error) {
	return result{http.StatusOK, EnvList{Environments: s.list()}}, nil
}

// createEnv builds and starts an environment from the JSON config in the
// body; ?name= names it and becomes its id (else one is generated).
func (s *Server) createEnv(w http.ResponseWriter, r *http.Request) (result, error) {
	if s.isClosed() {
		return result{}, newAPIError(http.StatusServiceUnavailable, ClassUnavailable, "server is shutting down")
	}
	name := r.URL.Query().Get("name")
	if name != "" && !validName.MatchString(name) {
		return result{}, newAPIError(http.StatusBadRequest, ClassInvalidArgument,
			"name: want letters, digits, '_', '.', '-' (at most 63, starting with a letter or digit)")
	}
	if name != "" {
		if _, err := s.get(name); err == nil {
			return result{}, newAPIError(http.StatusConflict, ClassAlreadyExists, "environment "+name+" already exists")
		}
	}
	var cfg json.RawMessage
	if err := decodeBody(w, r, MaxBodyBytes, &cfg, false); err != nil {
		return result{}, err
	}
	if len(cfg) == 0 || cfg[0] != '{' {
		return result{}, newAPIError(http.StatusBadRequest, ClassInvalidArgument, "request body: want a JSON object (the environment config)")
	}
	id := name
	if id == "" {
		id = newID()
	}
	s.log.Info("creating environment", "id", id)
	e, err := s.host.Create(r.Context(), id, cfg)
	if err != nil {
		return result{}, err
	}
	if err := s.add(id, e); err != nil {
		_ = e.Close(r.Context())
		return result{}, err
	}
	info := infoOf(id, e)
	s.log.Info("environment started", "id", id, "backend", info.Backend, "image", info.Image)
	return result{http.StatusCreated, info}, nil
}

func (s *Server) getEnv(_ http.ResponseWriter, _ *http.Request, id string, e Env) (result, error) {
	return result{http.StatusOK, infoOf(id, e)}, nil
}

// closeEnv closes the environment and forgets it.
func (s *Server) closeEnv(_ http.ResponseWriter, r *http.Request) (result, error) {
	id := r.PathValue("id")
	e, err := s.remove(id)
	if err != nil {
		return result{}, err
	}
	s.log.Info("closing environment", "id", id)
	if err := e.Close(r.Context()); err != nil {
		return result{}, err
	}
	return result{status: http.StatusNoContent}, nil
}

func infoOf(id string, e Env) EnvInfo {
	info := e.Info()
	info.ID = id
	return info
}
