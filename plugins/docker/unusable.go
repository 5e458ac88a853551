package docker

import (
	"context"
	"io"

	"github.com/envhost/envhost/sdk"
)

// Unusable returns a backend whose every call fails with err (which should
// carry an sdk class), for a plugin whose engine could not be reached at
// start: the host then sees why, with the right class.
func Unusable(err error) sdk.Backend { return unusable{err} }

type unusable struct{ err error }

func (u unusable) Info(context.Context) (sdk.Info, error) { return sdk.Info{}, u.err }

func (u unusable) EnsureImage(context.Context, sdk.ImageRequest, sdk.ProgressFunc) (sdk.Image, error) {
	return sdk.Image{}, u.err
}

func (u unusable) Create(context.Context, sdk.Spec) (sdk.Container, error) {
	return sdk.Container{}, u.err
}

func (u unusable) Exec(context.Context, sdk.ExecSpec, sdk.ExecIO) (int, error) { return -1, u.err }

func (u unusable) CopyIn(context.Context, string, string, io.Reader) error { return u.err }

func (u unusable) CopyOut(context.Context, string, string, io.Writer) error { return u.err }

func (u unusable) Inspect(context.Context, string) (sdk.ContainerState, error) {
	return sdk.ContainerState{}, u.err
}

func (u unusable) Remove(context.Context, string, sdk.RemoveOptions) error { return u.err }
