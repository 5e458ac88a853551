package sdk

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestChunkWriterSplitsAndCopies(t *testing.T) {
	var got [][]byte
	w := &chunkWriter{gate: &sendGate{}, send: func(p []byte) error {
		got = append(got, p)
		return nil
	}}
	payload := bytes.Repeat([]byte("abcdefg"), (3*ChunkSize)/7+5)
	src := bytes.Clone(payload)
	n, err := w.Write(src)
	if err != nil || n != len(payload) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(payload))
	}
	clear(src) // the writer must not keep the caller's buffer
	if len(got) != 4 {
		t.Fatalf("got %d chunks, want 4", len(got))
	}
	for i, c := range got {
		if len(c) > ChunkSize {
			t.Errorf("chunk %d is %d bytes, more than ChunkSize", i, len(c))
		}
	}
	if !bytes.Equal(bytes.Join(got, nil), payload) {
		t.Fatal("chunks do not add up to the payload")
	}
}

func TestChunkWriterAfterClose(t *testing.T) {
	g := &sendGate{}
	w := &chunkWriter{gate: g, send: func([]byte) error { return nil }}
	g.close()
	if _, err := w.Write([]byte("x")); !errors.Is(err, errStreamClosed) {
		t.Fatalf("Write after close = %v, want errStreamClosed", err)
	}
}

func TestSendReaderFullChunks(t *testing.T) {
	var sizes []int
	readErr, sendErr := sendReader(io.LimitReader(zeroReader{}, 2*ChunkSize+10), true, func(p []byte) error {
		sizes = append(sizes, len(p))
		return nil
	})
	if readErr != nil || sendErr != nil {
		t.Fatalf("sendReader: %v, %v", readErr, sendErr)
	}
	want := []int{ChunkSize, ChunkSize, 10}
	if len(sizes) != len(want) || sizes[0] != want[0] || sizes[1] != want[1] || sizes[2] != want[2] {
		t.Fatalf("chunk sizes %v, want %v", sizes, want)
	}
}

func TestChunkReader(t *testing.T) {
	chunks := [][]byte{[]byte("he"), {}, []byte("llo")}
	r := &chunkReader{recv: func() ([]byte, error) {
		if len(chunks) == 0 {
			return nil, io.EOF
		}
		c := chunks[0]
		chunks = chunks[1:]
		return c, nil
	}}
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "hello" {
		t.Fatalf("ReadAll = %q, %v", b, err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
