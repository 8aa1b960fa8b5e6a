package apdu

import "strings"

// secretINS are the instructions whose data field is a PIN, password or
// 照合番号: VERIFY (20, and 21, its BER-TLV form), CHANGE REFERENCE DATA
// (24), RESET RETRY COUNTER (2C, a PUK and a new PIN) and the JICSAP
// CHANGE KEY (32). The class byte is deliberately ignored: a client that
// sends VERIFY with a proprietary CLA or a channel bit set still sends its
// PIN, and the card refusing the class does not make the trace harmless.
var secretINS = [256]bool{0x20: true, 0x21: true, 0x24: true, 0x2C: true, 0x32: true}

// CarriesSecret reports whether the data field of c may hold a secret.
func (c Command) CarriesSecret() bool { return len(c.Data) > 0 && secretINS[c.INS] }

// CarriesSecret reports whether the command APDU b may hold a secret. Bytes
// that do not parse do whenever they have a body: without a parse no byte
// of it is known to be harmless, and a malformed VERIFY still holds a PIN.
func CarriesSecret(b []byte) bool {
	c, err := ParseCommand(b)
	if err != nil {
		return len(b) > 4
	}
	return c.CarriesSecret()
}

// Redact renders the command APDU b for traces, logs and reports: upper-case
// hex, bytes separated by spaces, each byte of a secret shown as "**". Only
// the data field of a secret-carrying command is masked, so its header, Lc
// and Le stay readable; of bytes that do not parse everything after the
// header is masked.
func Redact(b []byte) string {
	from, to := secretSpan(b)
	var sb strings.Builder
	sb.Grow(3 * len(b))
	for i, x := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		if i >= from && i < to {
			sb.WriteString("**")
			continue
		}
		sb.WriteByte(hexDigits[x>>4])
		sb.WriteByte(hexDigits[x&0x0F])
	}
	return sb.String()
}

const hexDigits = "0123456789ABCDEF"

// secretSpan returns the half-open range of b that Redact masks.
func secretSpan(b []byte) (from, to int) {
	c, err := ParseCommand(b)
	switch {
	case err != nil:
		return 4, len(b)
	case !c.CarriesSecret():
		return 0, 0
	case c.Extended:
		return 7, 7 + len(c.Data)
	}
	return 5, 5 + len(c.Data)
}
