// Package vpcd connects a card to pcscd through vsmartcard's virtual reader
// driver (vpcd). The driver and the card talk over TCP in frames of a 2-byte
// big-endian length followed by that many bytes. A 1-byte frame from the
// driver is a control message (power off, power on, reset, get ATR); any
// longer frame is a command APDU. Only get ATR and APDUs are answered.
package vpcd

import (
	"errors"
	"fmt"
	"io"
)

// Control messages vpcd sends as 1-byte frames.
const (
	CtrlPowerOff = 0x00
	CtrlPowerOn  = 0x01
	CtrlReset    = 0x02
	CtrlATR      = 0x04
)

// MaxPayload is the largest payload the 2-byte length prefix can carry.
// An extended case 4 APDU can be longer (65544 bytes), but vpcd cannot send
// it, so a card never has to answer one.
const MaxPayload = 0xFFFF

// ErrEmptyFrame is returned for a frame whose length prefix is zero. vpcd
// never sends one, so it means the peer is not vpcd or is out of step.
var ErrEmptyFrame = errors.New("vpcd: zero-length frame")

// FrameTooLargeError is returned by WriteFrame for a payload the length
// prefix cannot carry.
type FrameTooLargeError struct{ Len int }

func (e *FrameTooLargeError) Error() string {
	return fmt.Sprintf("vpcd: %d-byte payload exceeds the %d-byte frame limit", e.Len, MaxPayload)
}

// ReadFrame reads one frame from r and returns its payload. A clean end of
// stream before the first byte gives io.EOF; a stream that ends inside a
// frame gives an error wrapping io.ErrUnexpectedEOF that says where.
func ReadFrame(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("vpcd: stream ended inside the length prefix: %w", err)
		}
		return nil, err
	}
	n := int(hdr[0])<<8 | int(hdr[1])
	if n == 0 {
		return nil, ErrEmptyFrame
	}
	p := make([]byte, n)
	if got, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("vpcd: %d-byte frame truncated after %d bytes: %w", n, got, err)
	}
	return p, nil
}

// AppendFrame appends the frame carrying payload to dst.
func AppendFrame(dst, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return dst, &FrameTooLargeError{Len: len(payload)}
	}
	dst = append(dst, byte(len(payload)>>8), byte(len(payload)))
	return append(dst, payload...), nil
}

// WriteFrame writes payload as one frame in a single Write, so that the
// peer's Nagle and delayed-ACK timers never hold back half a frame.
func WriteFrame(w io.Writer, payload []byte) error {
	b, err := AppendFrame(make([]byte, 0, 2+len(payload)), payload)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
