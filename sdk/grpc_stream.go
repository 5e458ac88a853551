package sdk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
)

// ChunkSize is the largest payload (exec stdio, tar data) one gRPC message
// carries. Bigger payloads are split, so memory stays flat however large.
const ChunkSize = 256 << 10

// MaxMessageSize is the gRPC message size limit both sides are configured
// with: well above ChunkSize plus framing, far below anything that could
// hold a whole payload.
const MaxMessageSize = 16 << 20

// errStreamClosed is returned by writes after the call they belong to ended.
var errStreamClosed = errors.New("stream closed: the call has returned")

// sendGate serializes sends on one gRPC stream and refuses them once the
// call has returned.
type sendGate struct {
	mu     sync.Mutex
	closed bool
}

// do runs send under the lock unless the gate is closed.
func (g *sendGate) do(send func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errStreamClosed
	}
	return send()
}

// close makes later sends fail; it waits for a send in progress.
func (g *sendGate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// chunkWriter is an io.Writer that sends what it is given in messages of at
// most ChunkSize bytes, each copied (the caller may reuse p, and gRPC may
// encode a message after Send returns).
type chunkWriter struct {
	gate *sendGate
	send func(p []byte) error
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), ChunkSize)
		buf := make([]byte, c)
		copy(buf, p[:c])
		if err := w.gate.do(func() error { return w.send(buf) }); err != nil {
			return n, err
		}
		n += c
		p = p[c:]
	}
	return n, nil
}

// chunkReader is an io.Reader over a stream of chunks: recv returns the next
// chunk, or io.EOF at the end of the stream.
type chunkReader struct {
	recv func() ([]byte, error)
	buf  []byte
	err  error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.buf, r.err = r.recv()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// sendReader reads r and hands what it read to send in chunks of at most
// ChunkSize, each in a fresh slice (gRPC may encode a message after Send
// returns). With full it fills whole chunks (bulk data); without, it sends
// whatever each Read returns (interactive stdin). It returns nil errors at
// EOF, else the read or the send error.
func sendReader(r io.Reader, full bool, send func(p []byte) error) (readErr, sendErr error) {
	buf := make([]byte, ChunkSize)
	for {
		var n int
		var err error
		if full {
			n, err = io.ReadFull(r, buf)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
		} else {
			n, err = r.Read(buf)
		}
		if n > 0 {
			if serr := send(bytes.Clone(buf[:n])); serr != nil {
				return nil, serr
			}
		}
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}

// copyInReadAhead is how many chunks a CopyIn receiver holds ahead of the
// backend, so that receiving from the host and writing to the engine overlap.
const copyInReadAhead = 8

// readAhead calls recv in its own goroutine, up to n results ahead of the
// returned function's caller, until recv fails or ctx ends.
func readAhead(ctx context.Context, n int, recv func() ([]byte, error)) func() ([]byte, error) {
	chunks := make(chan []byte, n)
	var err error
	go func() {
		defer close(chunks)
		for {
			c, rerr := recv()
			if rerr != nil {
				err = rerr
				return
			}
			select {
			case chunks <- c:
			case <-ctx.Done():
				err = ctx.Err()
				return
			}
		}
	}()
	return func() ([]byte, error) {
		if c, ok := <-chunks; ok {
			return c, nil
		}
		return nil, err // written before close(chunks)
	}
}
