package apdu

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseBERKeepsNonMinimalEncoding(t *testing.T) {
	// Text AP EF 0005 shape: private tag FF 40 written long-form and a
	// length 82 00 9F with a leading zero (card.md §9). DER decoders reject it.
	in := append(h("FF4082009F"), bytes.Repeat([]byte{0xAB}, 0x9F)...)
	in = append(in, 0xFF, 0xFF) // filler after the object
	obj, rest, err := ParseBER(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(obj.Tag, h("FF40")) || !bytes.Equal(obj.Header, h("FF4082009F")) || len(obj.Value) != 0x9F {
		t.Errorf("ParseBER: tag %X header %X value %d bytes", obj.Tag, obj.Header, len(obj.Value))
	}
	if obj.TagNumber() != 0xFF40 || !obj.Constructed() {
		t.Errorf("TagNumber %X constructed %v", obj.TagNumber(), obj.Constructed())
	}
	if !bytes.Equal(obj.Bytes(), in[:len(in)-2]) {
		t.Error("Bytes() does not reproduce the input")
	}
	if !bytes.Equal(rest, h("FFFF")) {
		t.Errorf("rest = %X", rest)
	}
	all, err := ParseAllBER(in)
	if err != nil || len(all) != 1 {
		t.Errorf("ParseAllBER: %d objects, err %v; want 1 and the filler skipped", len(all), err)
	}
}

func TestBERChildrenAndFind(t *testing.T) {
	// Text AP EF 0001: FF 10 0C <12 digits> then FF FF filler.
	in := h("FF100C" + "313233343536373839303132" + "FFFF")
	obj, _, err := ParseBER(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(obj.Value) != "123456789012" {
		t.Errorf("value %q", obj.Value)
	}
	nested := EncodeBER(h("FF20"), LengthMinimal, append(EncodeBER(h("DF22"), LengthMinimal, []byte("name")), EncodeBER(h("DF23"), Length82, []byte("addr"))...))
	top, _, err := ParseBER(nested)
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := top.Find(0xDF23)
	if !ok || string(addr.Value) != "addr" || !bytes.Equal(addr.Header, h("DF23820004")) {
		t.Errorf("Find(DF23) = %X %v", addr.Bytes(), ok)
	}
	if _, ok := top.Find(0xDF99); ok {
		t.Error("Find(DF99) found a missing tag")
	}
}

func TestBERHeader(t *testing.T) {
	tests := []struct {
		in         string
		hdr, value int
	}{
		{"308204AA", 4, 0x4AA},
		{"30820100", 4, 256},
		{"7F2182023300", 5, 0x233},
		{"FF20650000", 3, 0x65},
		{"DF218108", 4, 8},
	}
	for _, tt := range tests {
		hl, vl, err := BERHeader(h(tt.in))
		if err != nil || hl != tt.hdr || vl != tt.value {
			t.Errorf("BERHeader(%s) = %d, %d, %v; want %d, %d", tt.in, hl, vl, err, tt.hdr, tt.value)
		}
	}
}

func TestBERErrors(t *testing.T) {
	for _, tt := range []struct {
		in         string
		incomplete bool // the input ends inside the object
	}{
		{"", false},
		{"30", true},
		{"3082", true},
		{"3080", false},
		{"3084000000010", false},
		{"1F", true},
		{"1F8181818181", false},
		{"FFFF", false},
		{"300501", true},
	} {
		_, _, err := ParseBER(h(pad(tt.in)))
		var te *TLVError
		if !errors.As(err, &te) {
			t.Errorf("ParseBER(%s) error = %v, want *TLVError", tt.in, err)
		}
		if got := errors.Is(err, ErrTLVIncomplete); got != tt.incomplete {
			t.Errorf("ParseBER(%s) error %v: errors.Is(ErrTLVIncomplete) = %v, want %v", tt.in, err, got, tt.incomplete)
		}
	}
}

func pad(s string) string {
	if len(s)%2 == 1 {
		return s + "0"
	}
	return s
}

func TestSimpleTLV(t *testing.T) {
	// Common AP record 1: 01 1C + 28 ASCII digits.
	val := []byte("1234567890123451310120351231")
	rec := append([]byte{0x01, 0x1C}, val...)
	s, rest, err := ParseSimpleTLV(rec)
	if err != nil || s.Tag != 1 || !bytes.Equal(s.Value, val) || len(rest) != 0 {
		t.Fatalf("ParseSimpleTLV = %+v %X %v", s, rest, err)
	}
	if !bytes.Equal(s.Bytes(), rec) {
		t.Errorf("Bytes() = %X", s.Bytes())
	}
	long := SimpleTLV{Tag: 2, Value: bytes.Repeat([]byte{1}, 300)}
	back, _, err := ParseSimpleTLV(long.Bytes())
	if err != nil || len(back.Value) != 300 || !bytes.Equal(long.Bytes()[:4], h("02FF012C")) {
		t.Errorf("3-byte length round trip: %v %d", err, len(back.Value))
	}
	if _, _, err := ParseSimpleTLV(h("0105AA")); err == nil {
		t.Error("truncated simple-TLV accepted")
	}
}
