package apdu

import (
	"encoding/hex"
	"errors"
	"strings"
)

// Response is a response APDU: optional data and a status word.
type Response struct {
	Data []byte
	SW   SW
}

// ErrShortResponse is returned when a response lacks its two status bytes.
var ErrShortResponse = errors.New("apdu: response shorter than the 2-byte status word")

// ParseResponse splits b into data and status word. Data aliases b.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, ErrShortResponse
	}
	n := len(b) - 2
	return Response{Data: b[:n], SW: SW(uint16(b[n])<<8 | uint16(b[n+1]))}, nil
}

// Bytes encodes the response as data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	out := make([]byte, len(r.Data)+2)
	copy(out, r.Data)
	out[len(r.Data)], out[len(r.Data)+1] = r.SW.SW1(), r.SW.SW2()
	return out
}

func (r Response) String() string {
	return strings.ToUpper(hex.EncodeToString(r.Data)) + " " + r.SW.String()
}
