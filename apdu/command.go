// Package apdu encodes and decodes ISO/IEC 7816-4 command and response
// APDUs, names the status words a My Number card uses, and reads BER-TLV
// without normalising the card's non-minimal encodings.
package apdu

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Case is the ISO 7816-3 command case: whether a command carries data (Lc)
// and whether it expects data back (Le).
type Case int

const (
	Case1 Case = 1 // header only
	Case2 Case = 2 // Le only
	Case3 Case = 3 // Lc + data
	Case4 Case = 4 // Lc + data + Le
)

// MaxShortNe and MaxExtendedNe are the largest response lengths the short
// (Le=00) and extended (Le=0000) forms can ask for.
const (
	MaxShortNe    = 256
	MaxExtendedNe = 65536
)

// Command is a parsed command APDU. Ne is the number of response bytes asked
// for: 0 when there is no Le field, 256 for a short Le of 00 and 65536 for an
// extended Le of 0000.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Ne               int
	Extended         bool
}

// ParseError says why bytes are not a well-formed command APDU.
type ParseError struct {
	Len    int    // length of the rejected input
	Reason string // what is wrong, in words
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("apdu: malformed command (%d bytes): %s", e.Len, e.Reason)
}

// ParseCommand decodes b into a Command following ISO 7816-4 §5.1 (cases 1–4,
// short and extended). The returned Data aliases b.
func ParseCommand(b []byte) (Command, error) {
	fail := func(format string, a ...any) (Command, error) {
		return Command{}, &ParseError{Len: len(b), Reason: fmt.Sprintf(format, a...)}
	}
	if len(b) < 4 {
		return fail("shorter than the 4-byte header")
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0:
		return c, nil
	case len(body) == 1:
		c.Ne = shortNe(body[0])
		return c, nil
	case body[0] != 0:
		lc := int(body[0])
		switch len(body) {
		case 1 + lc:
			c.Data = body[1:]
			return c, nil
		case 2 + lc:
			c.Data = body[1 : 1+lc]
			c.Ne = shortNe(body[1+lc])
			return c, nil
		}
		return fail("short Lc=%d does not match %d body bytes", lc, len(body)-1)
	}
	// body[0] == 0 and more bytes follow: extended length.
	c.Extended = true
	if len(body) == 3 {
		c.Ne = extendedNe(body[1], body[2])
		return c, nil
	}
	if len(body) < 3 {
		return fail("extended length field truncated")
	}
	lc := int(body[1])<<8 | int(body[2])
	if lc == 0 {
		return fail("extended Lc is zero")
	}
	switch len(body) {
	case 3 + lc:
		c.Data = body[3:]
		return c, nil
	case 5 + lc:
		c.Data = body[3 : 3+lc]
		c.Ne = extendedNe(body[3+lc], body[4+lc])
		return c, nil
	}
	return fail("extended Lc=%d does not match %d body bytes", lc, len(body)-3)
}

func shortNe(le byte) int {
	if le == 0 {
		return MaxShortNe
	}
	return int(le)
}

func extendedNe(hi, lo byte) int {
	n := int(hi)<<8 | int(lo)
	if n == 0 {
		return MaxExtendedNe
	}
	return n
}

// Case reports the command's ISO 7816-3 case.
func (c Command) Case() Case {
	switch {
	case len(c.Data) == 0 && c.Ne == 0:
		return Case1
	case len(c.Data) == 0:
		return Case2
	case c.Ne == 0:
		return Case3
	}
	return Case4
}

// Bytes encodes the command. It uses the extended form when c.Extended is set
// or when the data or Ne do not fit the short form.
func (c Command) Bytes() []byte {
	ext := c.Extended || len(c.Data) > 255 || c.Ne > MaxShortNe
	out := make([]byte, 4, 4+3+len(c.Data)+3)
	out[0], out[1], out[2], out[3] = c.CLA, c.INS, c.P1, c.P2
	if len(c.Data) > 0 {
		if ext {
			out = append(out, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		} else {
			out = append(out, byte(len(c.Data)))
		}
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		switch {
		case !ext:
			out = append(out, byte(c.Ne)) // 256 wraps to 00
		case len(c.Data) > 0:
			out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 wraps to 0000
		default:
			out = append(out, 0, byte(c.Ne>>8), byte(c.Ne))
		}
	}
	return out
}

// Channel returns the logical channel named by an interindustry CLA
// (ISO 7816-4 §5.4.1), or -1 for a proprietary CLA (b8 set).
func (c Command) Channel() int {
	switch {
	case c.CLA&0x80 != 0:
		return -1
	case c.CLA&0x40 != 0:
		return 4 + int(c.CLA&0x0F)
	}
	return int(c.CLA & 0x03)
}

// SecureMessaging reports whether CLA indicates secure messaging.
func (c Command) SecureMessaging() bool {
	if c.CLA&0x40 != 0 {
		return c.CLA&0x20 != 0
	}
	return c.CLA&0x0C != 0
}

// Chained reports whether CLA announces command chaining (ISO 7816-4 §5.1.1.1).
func (c Command) Chained() bool { return c.CLA&0x10 != 0 }

func (c Command) String() string {
	return strings.ToUpper(hex.EncodeToString(c.Bytes()))
}
