package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/envhost/envhost/sdk/backendpb"
)

// grpcClient is the host side of the plugin: a Backend that forwards every
// call over gRPC.
type grpcClient struct {
	rpc backendpb.BackendClient
	// done ends when the plugin is gone (go-plugin cancels it when the
	// plugin process exits). Calls in flight are cut short then.
	done context.Context
}

var _ Backend = (*grpcClient)(nil)

// callCtx derives a call's context from ctx that is also cancelled when the
// plugin goes away.
func (c *grpcClient) callCtx(ctx context.Context) (context.Context, context.CancelCauseFunc) {
	cctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(c.done, func() { cancel(errPluginExited) })
	return cctx, func(cause error) {
		stop()
		cancel(cause)
	}
}

// alive returns an error when the plugin is already known to be gone.
func (c *grpcClient) alive(op string) error {
	if c.done.Err() != nil {
		return &wireError{msg: fmt.Sprintf("%s: %v", op, errPluginExited), errs: []error{errPluginExited}}
	}
	return nil
}

func (c *grpcClient) Info(ctx context.Context) (Info, error) {
	const op = "backend info"
	if err := c.alive(op); err != nil {
		return Info{}, err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	resp, err := c.rpc.Info(cctx, &backendpb.InfoRequest{})
	if err != nil {
		return Info{}, fromStatus(ctx, c.done, op, err)
	}
	return infoFromPB(resp), nil
}

func (c *grpcClient) EnsureImage(ctx context.Context, req ImageRequest, progress ProgressFunc) (Image, error) {
	const op = "backend ensure image"
	if err := c.alive(op); err != nil {
		return Image{}, err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	stream, err := c.rpc.EnsureImage(cctx, &backendpb.EnsureImageRequest{
		Image: req.Image, Policy: string(req.Policy), Platform: req.Platform, WantProgress: progress != nil,
	})
	if err != nil {
		return Image{}, fromStatus(ctx, c.done, op, err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return Image{}, WithClass(ErrUnavailable, op+": plugin ended the stream without a result")
		}
		if err != nil {
			return Image{}, fromStatus(ctx, c.done, op, err)
		}
		switch e := ev.GetEvent().(type) {
		case *backendpb.EnsureImageEvent_Progress:
			if progress != nil {
				progress(progressFromPB(e.Progress))
			}
		case *backendpb.EnsureImageEvent_Result:
			return Image{ID: e.Result.GetId(), Pulled: e.Result.GetPulled()}, nil
		}
	}
}

func (c *grpcClient) Create(ctx context.Context, spec Spec) (Container, error) {
	const op = "backend create"
	if err := c.alive(op); err != nil {
		return Container{}, err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	resp, err := c.rpc.Create(cctx, &backendpb.CreateRequest{Spec: specToPB(spec)})
	if err != nil {
		return Container{}, fromStatus(ctx, c.done, op, err)
	}
	return Container{ID: resp.GetId(), Name: resp.GetName()}, nil
}

// stdinError is the cause of an exec cut short because reading stdin failed.
type stdinError struct{ err error }

func (e *stdinError) Error() string { return "reading stdin: " + e.err.Error() }
func (e *stdinError) Unwrap() error { return e.err }

func (c *grpcClient) Exec(ctx context.Context, spec ExecSpec, stdio ExecIO) (int, error) {
	const op = "backend exec"
	if err := c.alive(op); err != nil {
		return -1, err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	stream, err := c.rpc.Exec(cctx)
	if err != nil {
		return -1, fromStatus(ctx, c.done, op, err)
	}
	setup := &backendpb.ExecClientMessage{Msg: &backendpb.ExecClientMessage_Setup{Setup: execSetupToPB(spec, stdio)}}
	if err := stream.Send(setup); err != nil && err != io.EOF {
		// On io.EOF the server ended the stream: Recv reports why.
		return -1, fromStatus(ctx, c.done, op, err)
	}
	if stdio.Stdin == nil {
		_ = stream.CloseSend()
	} else {
		// The only sender from here on. It may outlive Exec while blocked
		// in a Read of stdio.Stdin; it stops at the next Read's return.
		go func() {
			readErr, sendErr := sendReader(stdio.Stdin, false, func(p []byte) error {
				return stream.Send(&backendpb.ExecClientMessage{Msg: &backendpb.ExecClientMessage_Stdin{Stdin: p}})
			})
			switch {
			case sendErr != nil:
				return // the stream ended; Recv reports why
			case readErr != nil:
				cancel(&stdinError{readErr})
				return
			}
			_ = stream.Send(&backendpb.ExecClientMessage{Msg: &backendpb.ExecClientMessage_StdinClose{StdinClose: &backendpb.StdinClose{}}})
			_ = stream.CloseSend()
		}()
	}
	code, gotExit := -1, false
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			if !gotExit {
				return -1, WithClass(ErrUnavailable, op+": plugin ended the stream without an exit status")
			}
			return code, nil
		}
		if err != nil {
			var se *stdinError
			if ctx.Err() == nil && errors.As(context.Cause(cctx), &se) {
				return -1, fmt.Errorf("%s: %w", op, se)
			}
			return -1, fromStatus(ctx, c.done, op, err)
		}
		switch m := msg.GetMsg().(type) {
		case *backendpb.ExecServerMessage_Stdout:
			if err := writeOut(stdio.Stdout, m.Stdout); err != nil {
				return -1, fmt.Errorf("%s: writing stdout: %w", op, err)
			}
		case *backendpb.ExecServerMessage_Stderr:
			if err := writeOut(stdio.Stderr, m.Stderr); err != nil {
				return -1, fmt.Errorf("%s: writing stderr: %w", op, err)
			}
		case *backendpb.ExecServerMessage_Exit:
			code, gotExit = int(m.Exit.GetCode()), true
		}
	}
}

// writeOut writes p to w, discarding it when w is nil.
func writeOut(w io.Writer, p []byte) error {
	if w == nil {
		return nil
	}
	_, err := w.Write(p)
	return err
}

func (c *grpcClient) CopyIn(ctx context.Context, containerID, destDir string, r io.Reader) error {
	const op = "backend copy in"
	if err := c.alive(op); err != nil {
		return err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	stream, err := c.rpc.CopyIn(cctx)
	if err != nil {
		return fromStatus(ctx, c.done, op, err)
	}
	header := &backendpb.CopyInRequest{Msg: &backendpb.CopyInRequest_Header{
		Header: &backendpb.CopyInHeader{ContainerId: containerID, DestDir: destDir},
	}}
	sendErr := stream.Send(header)
	if sendErr == nil {
		var readErr error
		readErr, sendErr = sendReader(r, true, func(p []byte) error {
			return stream.Send(&backendpb.CopyInRequest{Msg: &backendpb.CopyInRequest_Chunk{Chunk: p}})
		})
		if readErr != nil {
			cancel(readErr)
			return fmt.Errorf("%s: reading tar stream: %w", op, readErr)
		}
	}
	if sendErr != nil && sendErr != io.EOF {
		return fromStatus(ctx, c.done, op, sendErr)
	}
	// On io.EOF from Send the server ended the call: CloseAndRecv says why.
	if _, err := stream.CloseAndRecv(); err != nil {
		return fromStatus(ctx, c.done, op, err)
	}
	return nil
}

func (c *grpcClient) CopyOut(ctx context.Context, containerID, srcPath string, w io.Writer) error {
	const op = "backend copy out"
	if err := c.alive(op); err != nil {
		return err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	stream, err := c.rpc.CopyOut(cctx, &backendpb.CopyOutRequest{ContainerId: containerID, SrcPath: srcPath})
	if err != nil {
		return fromStatus(ctx, c.done, op, err)
	}
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fromStatus(ctx, c.done, op, err)
		}
		if _, err := w.Write(chunk.GetData()); err != nil {
			return fmt.Errorf("%s: writing tar stream: %w", op, err)
		}
	}
}

func (c *grpcClient) Inspect(ctx context.Context, containerID string) (ContainerState, error) {
	const op = "backend inspect"
	if err := c.alive(op); err != nil {
		return ContainerState{}, err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	resp, err := c.rpc.Inspect(cctx, &backendpb.InspectRequest{ContainerId: containerID})
	if err != nil {
		return ContainerState{}, fromStatus(ctx, c.done, op, err)
	}
	return stateFromPB(resp), nil
}

func (c *grpcClient) Remove(ctx context.Context, containerID string, opts RemoveOptions) error {
	const op = "backend remove"
	if err := c.alive(op); err != nil {
		return err
	}
	cctx, cancel := c.callCtx(ctx)
	defer cancel(nil)
	_, err := c.rpc.Remove(cctx, &backendpb.RemoveRequest{ContainerId: containerID, RemoveImage: opts.RemoveImage})
	if err != nil {
		return fromStatus(ctx, c.done, op, err)
	}
	return nil
}
