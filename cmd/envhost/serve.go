package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/envhost/envhost/api/httpapi"
)

// defaultServeAddr is where serve listens by default.
const defaultServeAddr = "127.0.0.1:7480"

const serveSynopsis = "envhost serve [--addr 127.0.0.1:7480] [--token-file PATH]"

const serveDescription = `
Serves environments over an HTTP/JSON API (described by the OpenAPI document at
GET /openapi.yaml): create an environment from a config (a JSON object of the
config file's shape), communicate, execute, read_file, write_file,
set_env_variables, interrupt, reset, hard_reset, restart_with_image,
restart_with_config, close, list, and a Server-Sent Events stream of an
environment's events.

Every request needs "Authorization: Bearer <token>". The token is ENVHOST_TOKEN
when set; otherwise one is generated and written (mode 0600) to --token-file
(default $XDG_RUNTIME_DIR/envhost/token, else ~/.config/envhost/token), whose
path is logged. The server listens on loopback by default and refuses any other
address unless ENVHOST_TOKEN is set.

SIGINT or SIGTERM stops it gracefully, closing every environment.`

func serveCmd(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("serve", a.stderr)
	addr := fs.String("addr", defaultServeAddr, "listen `address` (host:port; port 0 picks a free one)")
	tokenFile := fs.String("token-file", "", "write the generated token to this `path` (default $XDG_RUNTIME_DIR/envhost/token or ~/.config/envhost/token)")
	var dirs stringList
	fs.Var(&dirs, "plugin-dir", "look for backend plugins in this directory first (repeatable)")
	a.logOpts.register(fs)
	usage := commandUsage(fs, serveSynopsis, serveDescription)
	if err := parseFlags(fs, args, a.stdout, usage); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments (got %q)", fs.Args())
	}
	if err := a.logOpts.validate(); err != nil {
		return err
	}
	log := a.logOpts.logger("envhost", a.stderr)

	token := strings.TrimSpace(os.Getenv("ENVHOST_TOKEN"))
	explicit := token != ""
	if !httpapi.IsLoopback(*addr) && !explicit {
		return usagef("serve: refusing to listen on %s, which is not a loopback address, without a token given explicitly: set ENVHOST_TOKEN", *addr)
	}
	if !explicit {
		var err error
		if token, err = httpapi.GenerateToken(); err != nil {
			return err
		}
		path := *tokenFile
		if path == "" {
			if path, err = httpapi.DefaultTokenPath(); err != nil {
				return err
			}
		}
		if err := httpapi.WriteTokenFile(path, token); err != nil {
			return err
		}
		log.Info("generated an API token", "token_file", path)
	} else {
		log.Info("using the API token from ENVHOST_TOKEN")
	}

	host := &httpapi.CoreHost{Logger: log, PluginDirs: dirs}
	srv, err := httpapi.New(httpapi.Options{Host: host, Token: token, Logger: log.Named("http")})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String(), "openapi", "http://"+ln.Addr().String()+"/openapi.yaml")
	return srv.Serve(ctx, ln)
}
