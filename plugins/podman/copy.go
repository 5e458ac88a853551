package podman

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/containers/podman/v4/pkg/bindings"
)

// CopyIn extracts the tar stream r into destDir inside the container,
// streaming it to the engine (memory stays flat however large the tree).
func (b *Backend) CopyIn(ctx context.Context, containerID, destDir string, r io.Reader) error {
	if containerID == "" || destDir == "" {
		return invalid("podman: copy in: container %q, destination %q: both are needed", containerID, destDir)
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return err
	}
	conn, err := bindings.GetClient(cctx)
	if err != nil {
		return fmt.Errorf("podman: %w", err)
	}
	params := url.Values{}
	params.Set("path", destDir)
	resp, err := conn.DoRequest(cctx, struct{ io.Reader }{r}, http.MethodPut, "/containers/%s/archive", params, nil, containerID)
	if err != nil {
		return classify(ctxErr(cctx, err), "podman: copy into %s:%s", short(containerID), destDir)
	}
	defer resp.Body.Close()
	if err := resp.Process(nil); err != nil {
		return classify(err, "podman: copy into %s:%s", short(containerID), destDir)
	}
	return nil
}

// CopyOut writes srcPath from the container to w as a tar stream whose
// entries are named relative to srcPath's parent. A missing container or path
// is sdk.ErrNotFound.
func (b *Backend) CopyOut(ctx context.Context, containerID, srcPath string, w io.Writer) error {
	if containerID == "" || srcPath == "" {
		return invalid("podman: copy out: container %q, path %q: both are needed", containerID, srcPath)
	}
	cctx, err := b.conn(ctx)
	if err != nil {
		return err
	}
	conn, err := bindings.GetClient(cctx)
	if err != nil {
		return fmt.Errorf("podman: %w", err)
	}
	params := url.Values{}
	params.Set("path", srcPath)
	resp, err := conn.DoRequest(cctx, nil, http.MethodGet, "/containers/%s/archive", params, nil, containerID)
	if err != nil {
		return classify(ctxErr(cctx, err), "podman: copy from %s:%s", short(containerID), srcPath)
	}
	defer resp.Body.Close()
	if !resp.IsSuccess() {
		return classify(resp.Process(nil), "podman: copy from %s:%s", short(containerID), srcPath)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return classify(ctxErr(cctx, err), "podman: copy from %s:%s", short(containerID), srcPath)
	}
	return nil
}

// ctxErr prefers the context's error to the transport error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
