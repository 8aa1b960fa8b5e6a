package emulator

import (
	"github.com/mynacard/mynacard/apdu"
)

// READ BINARY and READ RECORD (card.md §5, §13.2).

// readTarget resolves the EF a read names and checks that it is of kind k
// and readable: with an SFI (1–30) it becomes the current EF, even when
// the read is then refused; without one the current EF is read.
func (c *Card) readTarget(sfi byte, k efKind) (*node, apdu.SW) {
	if sfi == 0 {
		if c.cur == nil {
			return nil, apdu.SWNoCurrentEF
		}
		return c.cur, c.readable(c.cur, k)
	}
	n := c.fs.get(c.app, uint16(sfi))
	if n == nil {
		return nil, apdu.SWFileNotFound
	}
	c.cur = n
	return n, c.readable(n, k)
}

// readable checks that n is of kind k and that the session opens it.
func (c *Card) readable(n *node, k efKind) apdu.SW {
	switch {
	case n.kind != k:
		return apdu.SWIncompatibleFile
	case n.absent || !n.access.met(c.verified):
		return apdu.SWSecurityNotSatisfied
	}
	return apdu.SWOK
}

// readBinary implements 00 B0 P1 P2 Le: a 15-bit offset, or 80|SFI in P1
// with an 8-bit offset in P2. It returns the bytes to the end of the file,
// which the command table cuts to Ne.
func (c *Card) readBinary(cmd apdu.Command) ([]byte, apdu.SW) {
	var sfi byte
	off := int(cmd.P1)<<8 | int(cmd.P2)
	if cmd.P1&0x80 != 0 {
		sfi, off = cmd.P1&0x1F, int(cmd.P2)
		if cmd.P1&0x60 != 0 || sfi == 0 || sfi == 0x1F {
			return nil, apdu.SWIncorrectP1P2
		}
	}
	if len(cmd.Data) != 0 || cmd.Ne == 0 || cmd.Extended && !c.state.Settings.ExtendedReadBinary {
		return nil, apdu.SWWrongLength
	}
	n, sw := c.readTarget(sfi, efBinary)
	if sw != apdu.SWOK {
		return nil, sw
	}
	if off >= len(n.data) {
		return nil, apdu.SWWrongOffset
	}
	return n.data[off:], apdu.SWOK
}

// readRecord implements 00 B2 rec P2 Le for one record (P2 low bits 100):
// P2 = SFI<<3|4, or 04 for the current EF. Records are the EF's simple-TLV
// objects, numbered from 1; the answer is the whole object, tag included,
// cut to Ne by the command table.
func (c *Card) readRecord(cmd apdu.Command) ([]byte, apdu.SW) {
	sfi := cmd.P2 >> 3
	switch mode := cmd.P2 & 0x07; {
	case mode == 0x05 || mode == 0x06:
		return nil, apdu.SWFuncNotSupported // several records at once
	case mode != 0x04 || sfi == 0x1F:
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) != 0 || cmd.Ne == 0 {
		return nil, apdu.SWWrongLength
	}
	n, sw := c.readTarget(sfi, efRecord)
	if sw != apdu.SWOK {
		return nil, sw
	}
	rec, ok := record(n.data, int(cmd.P1))
	if !ok {
		return nil, apdu.SWRecordNotFound
	}
	return rec, apdu.SWOK
}

// record returns the encoded simple-TLV record number i (from 1) of a
// record EF. A tag of 00 or FF starts filler and ends the records.
func record(data []byte, i int) ([]byte, bool) {
	for k := 1; len(data) > 0 && data[0] != 0x00 && data[0] != 0xFF; k++ {
		_, rest, err := apdu.ParseSimpleTLV(data)
		if err != nil {
			return nil, false
		}
		if k == i {
			return data[:len(data)-len(rest)], true
		}
		data = rest
	}
	return nil, false
}

// validRecords checks that a record EF's contents are simple-TLV records,
// optionally followed by filler.
func validRecords(data []byte) error {
	for len(data) > 0 && data[0] != 0x00 && data[0] != 0xFF {
		_, rest, err := apdu.ParseSimpleTLV(data)
		if err != nil {
			return err
		}
		data = rest
	}
	return nil
}
