// Command envhost-plugin-podman is the Podman backend plugin. The envhost
// host starts it (go-plugin over gRPC); started by hand it prints a hint and
// exits. It finds the engine like podman --remote: CONTAINER_HOST (unix://,
// ssh:// with CONTAINER_SSHKEY, tcp://), then /run/podman/podman.sock, then
// $XDG_RUNTIME_DIR/podman/podman.sock. It writes nothing to stdout.
package main

import (
	"os"

	"github.com/sirupsen/logrus"

	"github.com/envhost/envhost/plugins/podman"
	"github.com/envhost/envhost/sdk"
)

func main() {
	logger := sdk.NewPluginLogger()
	// The bindings log through logrus; keep it on stderr and quiet.
	logrus.SetOutput(os.Stderr)
	logrus.SetLevel(logrus.WarnLevel)

	b, err := podman.New(podman.Options{Logger: logger.Named(podman.Name)})
	if err != nil {
		logger.Error("podman backend", "error", err)
		os.Exit(1)
	}
	logger.Info("podman backend starting", "uri", b.URI())
	sdk.Serve(b, sdk.WithLogger(logger))
}
