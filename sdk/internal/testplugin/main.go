// Command testplugin is a backend plugin serving the fake backend, for the
// plugin transport tests. Environment:
//
//	TESTPLUGIN_ROOT      directory for container filesystems (default: a temp dir)
//	TESTPLUGIN_PROTOCOL  serve this protocol version instead of sdk.ProtocolVersion
//	TESTPLUGIN_STDOUT    print this to stdout before serving (breaks the handshake)
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/envhost/envhost/sdk"
	"github.com/envhost/envhost/sdk/internal/fakebackend"
)

func main() {
	logger := sdk.NewPluginLogger()
	root := os.Getenv("TESTPLUGIN_ROOT")
	if root == "" {
		dir, err := os.MkdirTemp("", "envhost-testplugin-")
		if err != nil {
			logger.Error("temp dir", "error", err)
			os.Exit(1)
		}
		root = dir // left behind: plugin.Serve exits the process

	}
	fake := fakebackend.New(root)
	logger.Info("test plugin starting", "root", root)

	if s := os.Getenv("TESTPLUGIN_STDOUT"); s != "" {
		fmt.Println(s)
	}
	if v := os.Getenv("TESTPLUGIN_PROTOCOL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			logger.Error("bad TESTPLUGIN_PROTOCOL", "error", err)
			os.Exit(1)
		}
		hs := sdk.Handshake
		hs.ProtocolVersion = uint(n)
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  hs,
			VersionedPlugins: map[int]plugin.PluginSet{n: {sdk.PluginName: &sdk.BackendPlugin{Impl: fake}}},
			GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
				return grpc.NewServer(append(o, sdk.GRPCServerOptions()...)...)
			},
			Logger: logger,
		})
		return
	}
	sdk.Serve(fake, sdk.WithLogger(logger))
}
