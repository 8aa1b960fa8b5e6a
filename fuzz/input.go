package fuzz

// The input of FuzzTransmitSequence: one byte choosing the
// card kind, then steps, each a length byte and that many APDU bytes; the
// length FF is followed by a 2-byte big-endian length (for extended APDUs)
// and the length 00 is a warm reset. A truncated last APDU keeps what is
// there, so every input means something.

// DecodeInput splits a fuzz input into the kind selector and the steps.
func DecodeInput(b []byte) (kind byte, steps []Step) {
	if len(b) == 0 {
		return 0, nil
	}
	kind, b = b[0], b[1:]
	for len(b) > 0 {
		n := int(b[0])
		b = b[1:]
		switch {
		case n == 0:
			steps = append(steps, Step{Reset: true})
			continue
		case n == 0xFF && len(b) >= 2:
			n, b = int(b[0])<<8|int(b[1]), b[2:]
		}
		n = min(n, len(b))
		steps = append(steps, Step{Cmd: b[:n:n]})
		b = b[n:]
	}
	return kind, steps
}

// EncodeInput is the inverse of DecodeInput.
func EncodeInput(kind byte, steps []Step) []byte {
	out := []byte{kind}
	for _, s := range steps {
		switch n := len(s.Cmd); {
		case s.Reset:
			out = append(out, 0)
		case n == 0 || n >= 0xFF:
			out = append(out, 0xFF, byte(n>>8), byte(n))
		default:
			out = append(out, byte(n))
		}
		out = append(out, s.Cmd...)
	}
	return out
}
