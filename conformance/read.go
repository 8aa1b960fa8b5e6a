package conformance

import (
	"fmt"

	"github.com/mynacard/mynacard/apdu"
)

// How real clients learn a file's length and read it (card.md §6.1, §12).
// Each must see the same bytes, so the suite reads files each way.
type readStyle int

const (
	// styleOpenSC probes 4 bytes and takes (b[2]<<8|b[3])+4 as the length
	// of a 30 82 LL LL certificate (card-jpki.c).
	styleOpenSC readStyle = iota
	// styleMyna probes 7 bytes, parses the BER header, then reads Le=00
	// while more than 255 bytes remain and Le=remaining after (jpki/myna).
	styleMyna
	// stylePhysical reads Le=00 chunks from offset 0 until a short chunk or
	// 6B00: the whole EF, filler included (myna-card).
	stylePhysical
)

// maxOffset is the last offset READ BINARY can address (15 bits, §5).
const maxOffset = 0x7FFF

// ReadBinary sends one READ BINARY of the current EF.
func (t *T) ReadBinary(off, ne int) apdu.Response {
	if off < 0 || off > maxOffset || ne < 1 || ne > apdu.MaxShortNe {
		t.Fatalf("internal: READ BINARY offset %d Le %d out of range", off, ne)
	}
	return t.Send(apdu.ReadBinary(off, ne))
}

// chunk reads n bytes at off, expecting the card to return all of them.
func (t *T) chunk(off, n int) []byte {
	r := t.ReadBinary(off, n)
	if r.SW != apdu.SWOK {
		t.Fatalf("READ BINARY at offset %d, Le %d: got SW %v, want %v", off, n, r.SW, apdu.SWOK)
	}
	if len(r.Data) != n {
		t.Fatalf("READ BINARY at offset %d, Le %d: got %d bytes", off, n, len(r.Data))
	}
	return r.Data
}

// ReadAs reads the current EF the way a client does and returns what that
// client would take as the file's content.
func (t *T) ReadAs(s readStyle) []byte {
	switch s {
	case styleOpenSC:
		head := t.chunk(0, 4)
		if head[0] != 0x30 || head[1] != 0x82 {
			t.Fatalf("OpenSC probe: file starts % X, want 30 82 (a DER certificate)", head)
		}
		return t.readRest(head, int(head[2])<<8|int(head[3])+4)
	case styleMyna:
		r := t.ReadBinary(0, 7)
		if r.SW != apdu.SWOK || len(r.Data) == 0 {
			t.Fatalf("myna probe: got %d bytes and SW %v", len(r.Data), r.SW)
		}
		h, n, err := apdu.BERHeader(r.Data)
		if err != nil {
			t.Fatalf("myna probe: %v", err)
		}
		total := h + n
		if total < len(r.Data) {
			return r.Data[:total]
		}
		return t.readRest(r.Data, total)
	}
	var out []byte
	for {
		r := t.ReadBinary(len(out), apdu.MaxShortNe)
		switch {
		case r.SW == apdu.SWWrongOffset && len(out) > 0:
			return out
		case r.SW != apdu.SWOK:
			t.Fatalf("READ BINARY at offset %d, Le 00: got SW %v", len(out), r.SW)
		}
		out = append(out, r.Data...)
		if len(r.Data) < apdu.MaxShortNe {
			return out
		}
	}
}

// readRest reads from len(have) up to total the way jpki/myna does:
// Le=00 while more than 255 bytes remain, the exact remainder after, and
// the offset advanced by what the card actually returned.
func (t *T) readRest(have []byte, total int) []byte {
	if total > maxOffset+1 {
		t.Fatalf("file length %d from the header exceeds the 15-bit offset range", total)
	}
	out := append([]byte(nil), have...)
	for len(out) < total {
		n := min(total-len(out), apdu.MaxShortNe)
		r := t.ReadBinary(len(out), n)
		if r.SW != apdu.SWOK || len(r.Data) == 0 {
			t.Fatalf("READ BINARY at offset %d, Le %d: got %d bytes and SW %v (header says %d bytes)", len(out), n, len(r.Data), r.SW, total)
		}
		out = append(out, r.Data...)
	}
	return out[:total]
}

// ReadFile reads the current EF in Le=00 chunks (its physical content).
func (t *T) ReadFile() []byte { return t.ReadAs(stylePhysical) }

// object returns the BER object at the start of b, failing the case when
// b does not start with one.
func (t *T) object(what string, b []byte) apdu.TLV {
	tlv, _, err := apdu.ParseBER(b)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return tlv
}

// child returns the child with tag of a constructed object.
func (t *T) child(what string, parent apdu.TLV, tag uint32) apdu.TLV {
	c, ok := parent.Find(tag)
	if !ok {
		t.Fatalf("%s: no %X object in %X", what, tag, parent.TagNumber())
	}
	return c
}

func hexTag(tag uint32) string { return fmt.Sprintf("%X", tag) }
