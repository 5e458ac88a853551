package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// heartbeat is how often an idle event stream sends an SSE comment, so
// proxies and clients see the connection alive.
var heartbeat = 15 * time.Second

// events streams the environment's events as Server-Sent Events: one
// "event: <type>" / "data: <json Event>" record per event, until the client
// goes away or the environment closes (then a final "event: end").
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := s.get(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, fmt.Errorf("event stream: response writer cannot flush"))
		return
	}
	ch, cancel := e.Subscribe()
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, ": events of %s\n\n", id)
	flusher.Flush()

	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streamsDone:
			_, _ = fmt.Fprint(w, "event: end\ndata: {}\n\n")
			flusher.Flush()
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case ev, ok := <-ch:
			if !ok {
				_, _ = fmt.Fprint(w, "event: end\ndata: {}\n\n")
				flusher.Flush()
				return
			}
			data, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", sseField(ev.Type), data); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// sseField keeps a value on one SSE line.
func sseField(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '\n' || r == '\r' {
			r = ' '
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return "message"
	}
	return string(out)
}
