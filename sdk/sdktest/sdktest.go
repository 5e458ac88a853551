// Package sdktest runs a Backend behind the real gRPC transport inside the
// test process, so a suite can exercise the plugin path without building
// and launching a plugin binary.
package sdktest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/envhost/envhost/sdk"
)

// InProcess serves b over gRPC on a unix socket with the same server options
// a plugin process uses (sdk.GRPCServerOptions), and returns the client side,
// an sdk.Backend going through the full protobuf path: chunked streams,
// error classes on the wire, cancellation. Everything is torn down when the
// test ends.
//
// It mirrors go-plugin's plugin.TestPluginGRPCConn, which cannot be given
// server options (it would leave the server at gRPC's 4 MiB default).
func InProcess(t testing.TB, b sdk.Backend) sdk.Backend {
	t.Helper()
	// A short directory: unix socket paths are limited to ~108 bytes and
	// t.TempDir embeds the test name.
	dir, err := os.MkdirTemp("", "envhost-sdktest-")
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "plugin.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("sdktest: listen: %v", err)
	}
	srv := grpc.NewServer(sdk.GRPCServerOptions()...)
	sdk.RegisterGRPCServer(srv, b)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()

	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, sdk.GRPCDialOptions()...)
	conn, err := grpc.NewClient("unix://"+sock, opts...)
	if err != nil {
		srv.Stop()
		t.Fatalf("sdktest: dial: %v", err)
	}
	done, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		_ = conn.Close()
		srv.Stop()
		<-served
	})
	return sdk.NewGRPCClient(done, conn)
}
