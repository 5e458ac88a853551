package sdk

import (
	"bufio"
	"context"
	"errors"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/envhost/envhost/sdk/backendpb"
)

// grpcServer serves a Backend over the backendpb service.
type grpcServer struct {
	backendpb.UnimplementedBackendServer
	b Backend
}

var _ backendpb.BackendServer = (*grpcServer)(nil)

// errExecDone closes an exec's stdin pipe once the exec has returned.
var errExecDone = errors.New("exec has returned")

func (s *grpcServer) Info(ctx context.Context, _ *backendpb.InfoRequest) (*backendpb.InfoResponse, error) {
	info, err := s.b.Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return infoToPB(info), nil
}

func (s *grpcServer) EnsureImage(req *backendpb.EnsureImageRequest, stream backendpb.Backend_EnsureImageServer) error {
	gate := &sendGate{}
	var progress ProgressFunc
	if req.GetWantProgress() {
		progress = func(p ImageProgress) {
			// A failed send means the client went away; the call's ctx ends.
			_ = gate.do(func() error {
				return stream.Send(&backendpb.EnsureImageEvent{Event: &backendpb.EnsureImageEvent_Progress{Progress: progressToPB(p)}})
			})
		}
	}
	img, err := s.b.EnsureImage(stream.Context(), ImageRequest{
		Image: req.GetImage(), Policy: PullPolicy(req.GetPolicy()), Platform: req.GetPlatform(),
	}, progress)
	gate.close()
	if err != nil {
		return toStatus(err)
	}
	return stream.Send(&backendpb.EnsureImageEvent{Event: &backendpb.EnsureImageEvent_Result{
		Result: &backendpb.Image{Id: img.ID, Pulled: img.Pulled},
	}})
}

func (s *grpcServer) Create(ctx context.Context, req *backendpb.CreateRequest) (*backendpb.CreateResponse, error) {
	c, err := s.b.Create(ctx, specFromPB(req.GetSpec()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &backendpb.CreateResponse{Id: c.ID, Name: c.Name}, nil
}

func (s *grpcServer) Exec(stream backendpb.Backend_ExecServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	setup := first.GetSetup()
	if setup == nil {
		return status.Error(codes.InvalidArgument, "exec: first message must be the setup")
	}
	gate := &sendGate{}
	var stdio ExecIO
	if !setup.GetDiscardStdout() {
		stdio.Stdout = &chunkWriter{gate: gate, send: func(p []byte) error {
			return stream.Send(&backendpb.ExecServerMessage{Msg: &backendpb.ExecServerMessage_Stdout{Stdout: p}})
		}}
	}
	if !setup.GetDiscardStderr() {
		stdio.Stderr = &chunkWriter{gate: gate, send: func(p []byte) error {
			return stream.Send(&backendpb.ExecServerMessage{Msg: &backendpb.ExecServerMessage_Stderr{Stderr: p}})
		}}
	}
	if setup.GetHasStdin() {
		pr, pw := io.Pipe()
		// Unblocks the pump if the exec returns without reading all stdin.
		defer pr.CloseWithError(errExecDone)
		stdio.Stdin = pr
		go pumpExecStdin(stream, pw)
	}
	code, err := s.b.Exec(stream.Context(), execSpecFromPB(setup), stdio)
	gate.close()
	if err != nil {
		return toStatus(err)
	}
	return stream.Send(&backendpb.ExecServerMessage{Msg: &backendpb.ExecServerMessage_Exit{Exit: &backendpb.ExecExit{Code: int32(code)}}})
}

// pumpExecStdin copies stdin messages from the client into pw until the
// client closes stdin or the stream ends.
func pumpExecStdin(stream backendpb.Backend_ExecServer, pw *io.PipeWriter) {
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			pw.Close()
			return
		}
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		switch m := msg.GetMsg().(type) {
		case *backendpb.ExecClientMessage_Stdin:
			if _, err := pw.Write(m.Stdin); err != nil {
				return // the exec returned or closed its stdin
			}
		case *backendpb.ExecClientMessage_StdinClose:
			pw.Close()
			return
		}
	}
}

func (s *grpcServer) CopyIn(stream backendpb.Backend_CopyInServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	h := first.GetHeader()
	if h == nil {
		return status.Error(codes.InvalidArgument, "copy in: first message must be the header")
	}
	r := &chunkReader{recv: readAhead(stream.Context(), copyInReadAhead, func() ([]byte, error) {
		msg, err := stream.Recv()
		if err != nil {
			return nil, err
		}
		return msg.GetChunk(), nil
	})}
	if err := s.b.CopyIn(stream.Context(), h.GetContainerId(), h.GetDestDir(), r); err != nil {
		return toStatus(err)
	}
	return stream.SendAndClose(&backendpb.CopyInResponse{})
}

func (s *grpcServer) CopyOut(req *backendpb.CopyOutRequest, stream backendpb.Backend_CopyOutServer) error {
	gate := &sendGate{}
	cw := &chunkWriter{gate: gate, send: func(p []byte) error {
		return stream.Send(&backendpb.CopyOutChunk{Data: p})
	}}
	// Tar writes many small headers: gather them into full chunks.
	bw := bufio.NewWriterSize(cw, ChunkSize)
	err := s.b.CopyOut(stream.Context(), req.GetContainerId(), req.GetSrcPath(), bw)
	if err == nil {
		err = bw.Flush()
	}
	gate.close()
	return toStatus(err)
}

func (s *grpcServer) Inspect(ctx context.Context, req *backendpb.InspectRequest) (*backendpb.InspectResponse, error) {
	st, err := s.b.Inspect(ctx, req.GetContainerId())
	if err != nil {
		return nil, toStatus(err)
	}
	return stateToPB(st), nil
}

func (s *grpcServer) Remove(ctx context.Context, req *backendpb.RemoveRequest) (*backendpb.RemoveResponse, error) {
	if err := s.b.Remove(ctx, req.GetContainerId(), RemoveOptions{RemoveImage: req.GetRemoveImage()}); err != nil {
		return nil, toStatus(err)
	}
	return &backendpb.RemoveResponse{}, nil
}
