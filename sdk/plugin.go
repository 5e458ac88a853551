package sdk

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/envhost/envhost/sdk/backendpb"
)

// ProtocolVersion is the version of the backend plugin protocol.
const ProtocolVersion = 1

// PluginName is the name the backend is dispensed under.
const PluginName = "backend"

// Handshake is the go-plugin handshake shared by the host and every backend
// plugin. A binary started without it (say, by hand) prints a hint and exits.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "ENVHOST_PLUGIN",
	MagicCookieValue: "7c1a3f0e-envhost-backend-5d2b9e84",
}

// VersionedPlugins is the plugin set per protocol version, for
// plugin.ClientConfig and plugin.ServeConfig.
var VersionedPlugins = map[int]plugin.PluginSet{
	ProtocolVersion: {PluginName: &BackendPlugin{}},
}

// BackendPlugin is the go-plugin plugin.GRPCPlugin for Backend. Impl is the
// backend served; it is nil on the host side.
type BackendPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Backend
}

var _ plugin.GRPCPlugin = (*BackendPlugin)(nil)

// GRPCServer registers the backend service on s.
func (p *BackendPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("sdk: BackendPlugin.Impl is nil")
	}
	backendpb.RegisterBackendServer(s, &grpcServer{b: p.Impl})
	return nil
}

// GRPCClient returns a Backend that calls the plugin over conn. ctx is
// cancelled when the plugin process exits, which ends calls in flight with
// an ErrUnavailable error.
func (p *BackendPlugin) GRPCClient(ctx context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return NewGRPCClient(ctx, conn), nil
}

// NewGRPCClient returns a Backend calling the backend service over conn.
// done should end when the server goes away; calls then fail with
// ErrUnavailable. Most callers get one from go-plugin or sdktest instead.
func NewGRPCClient(done context.Context, conn grpc.ClientConnInterface) Backend {
	if done == nil {
		done = context.Background()
	}
	return &grpcClient{rpc: backendpb.NewBackendClient(conn), done: done}
}

// RegisterGRPCServer registers b as the backend service on s.
func RegisterGRPCServer(s *grpc.Server, b Backend) {
	backendpb.RegisterBackendServer(s, &grpcServer{b: b})
}

// Flow-control window and socket buffer sizes of the plugin connection: bulk
// copies stream many ChunkSize messages, and larger windows and buffers mean
// fewer flow-control round trips and system calls per byte.
const (
	windowSize   = 4 << 20
	ioBufferSize = 1 << 20
)

// GRPCServerOptions are the options the plugin's gRPC server runs with
// (message size limits sized for ChunkSize payloads).
func GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.InitialWindowSize(windowSize),
		grpc.InitialConnWindowSize(windowSize),
		grpc.ReadBufferSize(ioBufferSize),
		grpc.WriteBufferSize(ioBufferSize),
	}
}

// GRPCDialOptions are the options the host dials a plugin with, matching
// GRPCServerOptions.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(MaxMessageSize),
			grpc.MaxCallSendMsgSize(MaxMessageSize),
		),
		grpc.WithInitialWindowSize(windowSize),
		grpc.WithInitialConnWindowSize(windowSize),
		grpc.WithReadBufferSize(ioBufferSize),
		grpc.WithWriteBufferSize(ioBufferSize),
	}
}

// ServeOption tunes Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logger hclog.Logger
	test   *plugin.ServeTestConfig
}

// WithLogger sets the plugin's logger. The default writes JSON to stderr at
// level ENVHOST_PLUGIN_LOG_LEVEL (default info), which the host parses.
func WithLogger(l hclog.Logger) ServeOption {
	return func(c *serveConfig) { c.logger = l }
}

// WithServeTest runs Serve in go-plugin's test mode (in-process, reattach).
func WithServeTest(t *plugin.ServeTestConfig) ServeOption {
	return func(c *serveConfig) { c.test = t }
}

// Serve runs b as a backend plugin; plugin main functions call it and
// nothing else. It never returns in a normal run. It writes nothing to
// stdout, which carries the go-plugin handshake.
func Serve(b Backend, opts ...ServeOption) {
	cfg := serveConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = NewPluginLogger()
	}
	if cfg.test == nil {
		go exitWithParent(cfg.logger, os.Getppid(), time.Second)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			ProtocolVersion: {PluginName: &BackendPlugin{Impl: b}},
		},
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(o, GRPCServerOptions()...)...)
		},
		Logger: cfg.logger,
		Test:   cfg.test,
	})
}

// NewPluginLogger returns the logger a plugin uses by default: JSON lines on
// stderr (the host bridges them into its own log with their levels), level
// from ENVHOST_PLUGIN_LOG_LEVEL (default info).
func NewPluginLogger() hclog.Logger {
	level := hclog.LevelFromString(os.Getenv("ENVHOST_PLUGIN_LOG_LEVEL"))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Level:      level,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// exitWithParent ends the plugin process when the host that started it is gone
// (its parent changes), so a host killed with SIGKILL leaves no plugin behind.
// go-plugin itself only notices a host that closes the connection.
func exitWithParent(log hclog.Logger, parent int, every time.Duration) {
	if parent <= 1 {
		return
	}
	for range time.Tick(every) {
		if os.Getppid() != parent {
			log.Warn("host process is gone; plugin exiting", "host_pid", parent)
			os.Exit(2)
		}
	}
}
