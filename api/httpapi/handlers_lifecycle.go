package httpapi

import (
	"encoding/json"
	"net/http"
)

// RestartWithImageRequest is the body of POST .../restart_with_image.
type RestartWithImageRequest struct {
	Image             string `json:"image"`
	PreserveRepoState bool   `json:"preserve_repo_state,omitempty"`
}

// RestartWithConfigRequest is the body of POST .../restart_with_config:
// Config is a deployment config (the "deployment" section of the config
// file: backend, image, pull, resources, docker_args...).
type RestartWithConfigRequest struct {
	Config            json.RawMessage `json:"config"`
	PreserveRepoState bool            `json:"preserve_repo_state,omitempty"`
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request, id string, e Env) (result, error) {
	if err := decodeBody(w, r, MaxBodyBytes, &struct{}{}, true); err != nil {
		return result{}, err
	}
	if err := e.Reset(r.Context()); err != nil {
		return result{}, err
	}
	return result{http.StatusOK, infoOf(id, e)}, nil
}

func (s *Server) hardReset(w http.ResponseWriter, r *http.Request, id string, e Env) (result, error) {
	if err := decodeBody(w, r, MaxBodyBytes, &struct{}{}, true); err != nil {
		return result{}, err
	}
	if err := e.HardReset(r.Context()); err != nil {
		return result{}, err
	}
	return result{http.StatusOK, infoOf(id, e)}, nil
}

func (s *Server) restartWithImage(w http.ResponseWriter, r *http.Request, id string, e Env) (result, error) {
	var req RestartWithImageRequest
	if err := decodeBody(w, r, MaxBodyBytes, &req, false); err != nil {
		return result{}, err
	}
	if req.Image == "" {
		return result{}, badRequest("image: required")
	}
	s.log.Info("restarting environment", "id", id, "image", req.Image, "preserve_repo_state", req.PreserveRepoState)
	if err := e.RestartWithImage(r.Context(), req.Image, req.PreserveRepoState); err != nil {
		return result{}, err
	}
	return result{http.StatusOK, infoOf(id, e)}, nil
}

func (s *Server) restartWithConfig(w http.ResponseWriter, r *http.Request, id string, e Env) (result, error) {
	var req RestartWithConfigRequest
	if err := decodeBody(w, r, MaxBodyBytes, &req, false); err != nil {
		return result{}, err
	}
	if len(req.Config) == 0 || req.Config[0] != '{' {
		return result{}, badRequest("config: required (an object shaped as the config file's deployment section)")
	}
	s.log.Info("restarting environment with a new config", "id", id, "preserve_repo_state", req.PreserveRepoState)
	if err := e.RestartWithConfig(r.Context(), req.Config, req.PreserveRepoState); err != nil {
		return result{}, err
	}
	return result{http.StatusOK, infoOf(id, e)}, nil
}
