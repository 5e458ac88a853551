package core

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/envhost/envhost/core/pluginhost"
)

// pluginOpener launches backends as plugin processes found in dirs (and
// pluginhost's default directories).
func pluginOpener(dirs []string, log hclog.Logger) BackendOpener {
	return func(ctx context.Context, name string) (Backend, error) {
		p, err := pluginhost.Launch(ctx, name, pluginhost.Options{Dirs: dirs, Logger: log.Named("plugin")})
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}
