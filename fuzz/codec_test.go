package fuzz

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mynacard/mynacard/apdu"
)

// FuzzParseCommand checks that every command the parser accepts encodes
// back to the same bytes and parses to the same Command, and that every
// rejection is a *ParseError naming the input length.
func FuzzParseCommand(f *testing.F) {
	for _, seq := range ClientSequences(nil) {
		for _, st := range seq.Steps {
			f.Add(st.Cmd)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := apdu.ParseCommand(b)
		if err != nil {
			var pe *apdu.ParseError
			if !errors.As(err, &pe) || pe.Len != len(b) {
				t.Fatalf("ParseCommand(%X) error %v: want *ParseError with Len %d", b, err, len(b))
			}
			return
		}
		enc := c.Bytes()
		if !bytes.Equal(enc, b) {
			t.Errorf("ParseCommand(%X).Bytes() = %X", b, enc)
		}
		back, err := apdu.ParseCommand(enc)
		if err != nil {
			t.Fatalf("re-parse of %X: %v", enc, err)
		}
		if diff := cmp.Diff(c, back, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("parse→encode→parse of %X changed the command (-first +second):\n%s", b, diff)
		}
		if c.Ne < 0 || c.Ne > apdu.MaxExtendedNe || !c.Extended && c.Ne > apdu.MaxShortNe {
			t.Errorf("ParseCommand(%X).Ne = %d out of range (extended %v)", b, c.Ne, c.Extended)
		}
	})
}

// FuzzParseBER checks that BER-TLV reading never panics, that each object
// re-emits exactly the bytes it was read from (the card's non-minimal
// encodings must survive), and that errors carry an offset inside the input.
func FuzzParseBER(f *testing.F) {
	for _, s := range []string{
		"FF100C313233343536373839303132FFFF",
		"FF4082009F", "308204AA", "7F2182023300", "DF218108", "1F8181818181", "3080", "",
		"FF206544DF2108000E002000590064DF220F",
	} {
		f.Add(h(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkTLVError := func(what string, err error) {
			var te *apdu.TLVError
			if !errors.As(err, &te) {
				t.Fatalf("%s(%X) error %v: want *TLVError", what, b, err)
			}
			if te.Offset < 0 || te.Offset > len(b) {
				t.Errorf("%s(%X): error offset %d outside the %d-byte input", what, b, te.Offset, len(b))
			}
		}
		obj, rest, err := apdu.ParseBER(b)
		if err != nil {
			checkTLVError("ParseBER", err)
		} else {
			used := b[:len(b)-len(rest)]
			if !bytes.Equal(obj.Bytes(), used) {
				t.Errorf("ParseBER(%X).Bytes() = %X, want the input prefix %X", b, obj.Bytes(), used)
			}
			if !bytes.HasPrefix(obj.Header, obj.Tag) || !bytes.HasPrefix(b, obj.Header) {
				t.Errorf("ParseBER(%X): tag %X / header %X are not prefixes of the input", b, obj.Tag, obj.Header)
			}
			hl, vl, err := apdu.BERHeader(b)
			if err != nil || hl != len(obj.Header) || vl != len(obj.Value) {
				t.Errorf("BERHeader(%X) = %d, %d, %v; ParseBER read header %d value %d", b, hl, vl, err, len(obj.Header), len(obj.Value))
			}
			if obj.Constructed() {
				_, _ = obj.Children()
				_, _ = obj.Find(0xDF21)
			}
			// Re-encoding the tag and value with EncodeBER must read back the same.
			for _, form := range []apdu.LengthForm{apdu.LengthMinimal, apdu.Length81, apdu.Length82} {
				enc := apdu.EncodeBER(obj.Tag, form, obj.Value)
				again, rest, err := apdu.ParseBER(enc)
				if err != nil || len(rest) != 0 || !bytes.Equal(again.Tag, obj.Tag) || !bytes.Equal(again.Value, obj.Value) {
					t.Errorf("EncodeBER(%X, %d, %d bytes) = %X does not read back: %v", obj.Tag, form, len(obj.Value), enc, err)
				}
			}
		}
		all, err := apdu.ParseAllBER(b)
		if err != nil {
			checkTLVError("ParseAllBER", err)
		}
		var joined []byte
		for _, o := range all {
			joined = append(joined, o.Bytes()...)
		}
		if !bytes.HasPrefix(b, joined) {
			t.Errorf("ParseAllBER(%X): objects %X are not a prefix of the input", b, joined)
		}
	})
}

// FuzzSimpleTLV checks the record EFs' simple-TLV: no panic, and an object
// re-encodes to bytes that read back the same (and, when the input used the
// shortest length form, to the input itself).
func FuzzSimpleTLV(f *testing.F) {
	for _, s := range []string{"011C31323334353637383930313233343531333130313230333531323331", "02FF012C", "0105AA", "00FF0000", ""} {
		f.Add(h(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, rest, err := apdu.ParseSimpleTLV(b)
		if err != nil {
			var te *apdu.TLVError
			if !errors.As(err, &te) {
				t.Fatalf("ParseSimpleTLV(%X) error %v: want *TLVError", b, err)
			}
			return
		}
		used := b[:len(b)-len(rest)]
		enc := s.Bytes()
		back, tail, err := apdu.ParseSimpleTLV(enc)
		if err != nil || len(tail) != 0 || back.Tag != s.Tag || !bytes.Equal(back.Value, s.Value) {
			t.Fatalf("SimpleTLV %X re-encoded as %X does not read back: %v", used, enc, err)
		}
		// A value under 255 bytes may arrive in the longer FF form; Bytes
		// always writes the short one.
		if minimal := used[1] != 0xFF || len(s.Value) >= 0xFF; minimal && !bytes.Equal(enc, used) {
			t.Errorf("ParseSimpleTLV(%X).Bytes() = %X, want %X", b, enc, used)
		}
	})
}

// FuzzParseResponse: any response of two or more bytes splits into data
// and SW and encodes back to itself; naming a status word never panics.
func FuzzParseResponse(f *testing.F) {
	f.Add(h("308204AA63C2"))
	f.Add(h("6A82"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := apdu.ParseResponse(b)
		if err != nil {
			if len(b) >= 2 || !errors.Is(err, apdu.ErrShortResponse) {
				t.Fatalf("ParseResponse(%X): %v", b, err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), b) {
			t.Errorf("ParseResponse(%X).Bytes() = %X", b, r.Bytes())
		}
		_ = r.SW.String()
	})
}
