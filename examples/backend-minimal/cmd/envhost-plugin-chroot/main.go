// Command envhost-plugin-chroot is the chroot example backend as an envhost
// plugin. Put it in a plugin directory and select it with backend: chroot.
package main

import (
	"fmt"
	"os"

	"github.com/envhost/envhost/examples/backend-minimal/chroot"
	"github.com/envhost/envhost/sdk"
)

func main() {
	log := sdk.NewPluginLogger()
	b, err := chroot.New(chroot.Options{Logger: log})
	if err != nil {
		// Never stdout: it carries the plugin handshake.
		fmt.Fprintln(os.Stderr, "envhost-plugin-chroot:", err)
		os.Exit(1)
	}
	sdk.Serve(b, sdk.WithLogger(log))
}
