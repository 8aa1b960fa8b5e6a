package vpcd

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []byte
		err  error // matched with errors.Is
	}{
		{"control", []byte{0, 1, CtrlATR}, []byte{CtrlATR}, nil},
		{"apdu", []byte{0, 4, 0x00, 0xA4, 0x04, 0x0C}, []byte{0x00, 0xA4, 0x04, 0x0C}, nil},
		{"trailing bytes left for the next frame", []byte{0, 1, 2, 0, 1}, []byte{2}, nil},
		{"clean end", nil, nil, io.EOF},
		{"half a length prefix", []byte{0}, nil, io.ErrUnexpectedEOF},
		{"truncated body", []byte{0, 5, 1, 2}, nil, io.ErrUnexpectedEOF},
		{"prefix only", []byte{0x01, 0x00}, nil, io.ErrUnexpectedEOF},
		{"zero length", []byte{0, 0, 0, 1, 4}, nil, ErrEmptyFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFrame(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("ReadFrame(% X) error = %v, want %v", tt.in, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadFrame(% X) payload (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 255, 256, 4096, MaxPayload} {
		p := bytes.Repeat([]byte{0xA5}, n)
		var buf bytes.Buffer
		if err := WriteFrame(&buf, p); err != nil {
			t.Fatalf("WriteFrame(%d bytes): %v", n, err)
		}
		if buf.Len() != n+2 {
			t.Errorf("WriteFrame(%d bytes) wrote %d bytes, want %d", n, buf.Len(), n+2)
		}
		got, err := ReadFrame(&buf)
		if err != nil || !bytes.Equal(got, p) {
			t.Errorf("round trip of %d bytes: got %d bytes, err %v", n, len(got), err)
		}
	}
}

func TestWriteFrameTooLarge(t *testing.T) {
	var buf bytes.Buffer
	err := WriteFrame(&buf, make([]byte, MaxPayload+1))
	var tl *FrameTooLargeError
	if !errors.As(err, &tl) || tl.Len != MaxPayload+1 {
		t.Fatalf("WriteFrame(%d bytes) error = %v, want FrameTooLargeError", MaxPayload+1, err)
	}
	if buf.Len() != 0 {
		t.Errorf("WriteFrame wrote %d bytes of a frame it refused", buf.Len())
	}
}

// oneByteReader returns one byte per Read, as a slow socket may.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(1, len(p))]) }

func TestReadFrameSplitReads(t *testing.T) {
	got, err := ReadFrame(oneByteReader{bytes.NewReader([]byte{0, 3, 1, 2, 3})})
	if err != nil || !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("ReadFrame over 1-byte reads = % X, %v", got, err)
	}
}
