package apdu

import (
	"errors"
	"fmt"
)

// TLV is one BER-TLV object as it stands in the input: Tag and Header keep
// the card's exact bytes, so non-minimal encodings such as the tag FF 10 or
// the length 82 00 9F survive a read and a re-emit unchanged.
type TLV struct {
	Tag    []byte // raw tag bytes
	Header []byte // raw tag and length bytes
	Value  []byte
}

// TLVError says where and why BER-TLV bytes could not be read.
type TLVError struct {
	Offset int
	Reason string
	err    error // ErrTLVIncomplete when the input ends inside the object
}

func (e *TLVError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("apdu: bad BER-TLV at offset %d: %s: %v", e.Offset, e.Reason, e.err)
	}
	return fmt.Sprintf("apdu: bad BER-TLV at offset %d: %s", e.Offset, e.Reason)
}

// Unwrap lets errors.Is find ErrTLVIncomplete: a client reading a file in
// pieces reads on when the object is merely truncated.
func (e *TLVError) Unwrap() error { return e.err }

// incomplete is the error for input that ends inside an object.
func incomplete(offset int, reason string) *TLVError {
	return &TLVError{Offset: offset, Reason: reason, err: ErrTLVIncomplete}
}

// ErrTLVIncomplete is wrapped by ParseBER when b ends inside an object;
// BERHeader reports how many bytes the whole object needs instead.
var ErrTLVIncomplete = errors.New("object truncated")

// BERHeader reads the tag and length at the start of b and returns the
// header length and the value length. It is what a client uses to learn a
// file's length from a short first READ BINARY.
func BERHeader(b []byte) (headerLen, valueLen int, err error) {
	i := 0
	if len(b) == 0 {
		return 0, 0, &TLVError{Offset: 0, Reason: "empty input"}
	}
	if b[0] == 0x00 || b[0] == 0xFF && len(b) > 1 && b[1] == 0xFF {
		return 0, 0, &TLVError{Offset: 0, Reason: fmt.Sprintf("filler byte %02X where a tag should be", b[0])}
	}
	i++
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) {
				return 0, 0, incomplete(i, "tag truncated")
			}
			if i > 4 {
				return 0, 0, &TLVError{Offset: i, Reason: "tag longer than 4 bytes"}
			}
			last := b[i]&0x80 == 0
			i++
			if last {
				break
			}
		}
	}
	if i >= len(b) {
		return 0, 0, incomplete(i, "length missing")
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		return i, int(l), nil
	case l == 0x80:
		return 0, 0, &TLVError{Offset: i - 1, Reason: "indefinite length is not used on this card"}
	case l > 0x83:
		return 0, 0, &TLVError{Offset: i - 1, Reason: fmt.Sprintf("length of %d bytes is too long", l&0x7F)}
	}
	n := int(l & 0x7F)
	if i+n > len(b) {
		return 0, 0, incomplete(i, "length truncated")
	}
	v := 0
	for _, x := range b[i : i+n] {
		v = v<<8 | int(x)
	}
	return i + n, v, nil
}

// ParseBER reads one object from the start of b and returns it and the bytes after it.
func ParseBER(b []byte) (TLV, []byte, error) {
	h, n, err := BERHeader(b)
	if err != nil {
		return TLV{}, nil, err
	}
	if h+n > len(b) {
		return TLV{}, nil, incomplete(h, fmt.Sprintf("value of %d bytes but %d remain", n, len(b)-h))
	}
	tagLen := 1
	if b[0]&0x1F == 0x1F {
		for tagLen = 2; b[tagLen-1]&0x80 != 0; tagLen++ {
		}
	}
	return TLV{Tag: b[:tagLen], Header: b[:h], Value: b[h : h+n]}, b[h+n:], nil
}

// ParseAllBER reads consecutive objects until b is used up or only filler
// (FF or 00 bytes, as padded transparent EFs hold) remains.
func ParseAllBER(b []byte) ([]TLV, error) {
	var out []TLV
	base := 0
	for len(b) > 0 && !allFiller(b) {
		t, rest, err := ParseBER(b)
		if err != nil {
			var te *TLVError
			if errors.As(err, &te) {
				te.Offset += base
			}
			return out, err
		}
		out = append(out, t)
		base += len(b) - len(rest)
		b = rest
	}
	return out, nil
}

func allFiller(b []byte) bool {
	for _, x := range b {
		if x != 0xFF && x != 0x00 {
			return false
		}
	}
	return true
}

// Constructed reports whether the tag's constructed bit is set.
func (t TLV) Constructed() bool { return t.Tag[0]&0x20 != 0 }

// TagNumber returns the tag bytes as one big-endian number, e.g. 0xDF21.
func (t TLV) TagNumber() uint32 {
	var n uint32
	for _, x := range t.Tag {
		n = n<<8 | uint32(x)
	}
	return n
}

// Bytes returns the object as it was read.
func (t TLV) Bytes() []byte {
	out := make([]byte, 0, len(t.Header)+len(t.Value))
	return append(append(out, t.Header...), t.Value...)
}

// Children parses the value of a constructed object.
func (t TLV) Children() ([]TLV, error) { return ParseAllBER(t.Value) }

// Find returns the first child with the given tag number.
func (t TLV) Find(tag uint32) (TLV, bool) {
	kids, _ := t.Children()
	for _, k := range kids {
		if k.TagNumber() == tag {
			return k, true
		}
	}
	return TLV{}, false
}

// LengthForm chooses how EncodeBER writes a length. The card writes some
// lengths in a longer form than DER allows (82 00 9F), and its data must be
// reproduced exactly.
type LengthForm int

const (
	LengthMinimal LengthForm = iota // DER: shortest form
	Length81                        // 81 LL for any length < 256
	Length82                        // 82 HH LL for any length < 65536
)

// EncodeBER builds one object from raw tag bytes and a value.
func EncodeBER(tag []byte, form LengthForm, value []byte) []byte {
	n := len(value)
	out := append([]byte(nil), tag...)
	switch {
	case form == Length82 || n > 0xFF:
		out = append(out, 0x82, byte(n>>8), byte(n))
	case form == Length81 || n > 0x7F:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, byte(n))
	}
	return append(out, value...)
}

// SimpleTLV is one JICSAP simple-TLV object as record EFs hold them:
// a 1-byte tag and a length of 1 byte or FF + 2 bytes.
type SimpleTLV struct {
	Tag   byte
	Value []byte
}

// ParseSimpleTLV reads one simple-TLV object from the start of b.
func ParseSimpleTLV(b []byte) (SimpleTLV, []byte, error) {
	if len(b) < 2 {
		return SimpleTLV{}, nil, &TLVError{Offset: 0, Reason: "simple-TLV shorter than 2 bytes"}
	}
	n, h := int(b[1]), 2
	if b[1] == 0xFF {
		if len(b) < 4 {
			return SimpleTLV{}, nil, &TLVError{Offset: 2, Reason: "simple-TLV 3-byte length truncated"}
		}
		n, h = int(b[2])<<8|int(b[3]), 4
	}
	if h+n > len(b) {
		return SimpleTLV{}, nil, &TLVError{Offset: h, Reason: fmt.Sprintf("simple-TLV value of %d bytes but %d remain", n, len(b)-h)}
	}
	return SimpleTLV{Tag: b[0], Value: b[h : h+n]}, b[h+n:], nil
}

// Bytes encodes the object, using the 3-byte length only when needed.
func (s SimpleTLV) Bytes() []byte {
	out := []byte{s.Tag}
	if len(s.Value) >= 0xFF {
		out = append(out, 0xFF, byte(len(s.Value)>>8), byte(len(s.Value)))
	} else {
		out = append(out, byte(len(s.Value)))
	}
	return append(out, s.Value...)
}
