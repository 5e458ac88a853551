package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Shutdown timings of Serve.
var (
	// DrainTimeout is how long in-flight requests get to finish once
	// shutdown begins; after it their contexts are cancelled.
	DrainTimeout = 10 * time.Second
	// CloseTimeout bounds closing the environments at shutdown.
	CloseTimeout = 2 * time.Minute
)

// Serve answers HTTP requests on ln until ctx is done, then shuts down
// gracefully: event streams end, in-flight requests get DrainTimeout to
// finish (then their contexts are cancelled), and every environment is
// closed. It returns the first error of serving or closing.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		s.log.Info("shutting down", "drain_timeout", DrainTimeout)
	}
	s.stopStreams()
	dctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	if err := srv.Shutdown(dctx); err != nil {
		s.log.Warn("requests still running after the drain timeout; cancelling them", "error", err)
	}
	cancel()
	cancelBase()
	_ = srv.Close()

	cctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	closeErr := s.Close(cctx)
	if closeErr != nil {
		s.log.Error("closing environments", "error", closeErr)
	} else {
		s.log.Info("all environments closed")
	}
	return errors.Join(serveErr, closeErr)
}
