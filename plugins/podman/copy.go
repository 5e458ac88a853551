package podman

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// CopyIn extracts the tar stream r into destDir inside the container,
// streaming it to the engine (memory stays flat however large the tree).
func (b *Backend) CopyIn(ctx context.Context, containerID, destDir string, r io.Reader) error {
	if containerID == "" || destDir == "" {
		return invalid("podman: copy in: container %q, destination %q: both are needed", containerID, destDir)
	}
	resp, err := b.do(ctx, struct{ io.Reader }{r}, http.MethodPut, "/containers/%s/archive", url.Values{"path": {destDir}}, containerID)
	if err != nil {
		return classify(ctxErr(ctx, err), "podman: copy into %s:%s", short(containerID), destDir)
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
	resp, err := b.do(ctx, nil, http.MethodGet, "/containers/%s/archive", url.Values{"path": {srcPath}}, containerID)
	if err != nil {
		return classify(ctxErr(ctx, err), "podman: copy from %s:%s", short(containerID), srcPath)
	}
	defer resp.Body.Close()
	if !resp.IsSuccess() {
		return classify(resp.Process(nil), "podman: copy from %s:%s", short(containerID), srcPath)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return classify(ctxErr(ctx, err), "podman: copy from %s:%s", short(containerID), srcPath)
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
