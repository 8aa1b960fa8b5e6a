package apdu

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSMCipherRoundTrip(t *testing.T) {
	c, err := NewSMCipher(bytes.Repeat([]byte{0x11}, SessionKeySeedLen))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 300} {
		p := bytes.Repeat([]byte{0xA5}, n)
		do, rest, err := ParseBER(c.Seal(7, p))
		if err != nil || len(rest) != 0 || do.Tag[0] != SMCryptogram {
			t.Fatalf("%d bytes: DO % X…: %v", n, do.Header, err)
		}
		if want := 1 + (n/16+1)*16; len(do.Value) != want {
			t.Errorf("%d bytes: value of %d, want %d (padding always added)", n, len(do.Value), want)
		}
		if got, err := c.Open(7, do.Value); err != nil || !bytes.Equal(got, p) {
			t.Errorf("%d bytes: Open = % X, %v", n, got, err)
		}
		if _, err := c.Open(8, do.Value); !errors.Is(err, ErrSMObject) && n < 16 {
			t.Errorf("%d bytes: another counter deciphered", n)
		}
	}
}

func TestParseSessionKeyDelivery(t *testing.T) {
	seed := bytes.Repeat([]byte{0x42}, SessionKeySeedLen)
	for _, tc := range []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"encryption key", SessionKeyDelivery(seed), true},
		{"CCS key", EncodeBER([]byte{0xA0}, LengthMinimal, EncodeBER([]byte{0x81}, LengthMinimal, seed)), false},
		{"16-byte seed", SessionKeyDelivery(seed[:16]), false},
		{"trailing byte", append(SessionKeyDelivery(seed), 0), false},
		{"empty", nil, false},
	} {
		if got, ok := ParseSessionKeyDelivery(tc.b); ok != tc.ok || ok && !bytes.Equal(got, seed) {
			t.Errorf("%s: %v %v", tc.name, ok, got)
		}
	}
}

// An SM VERIFY carries a cryptogram, and traces still mask it.
func TestSMWrapVerifyRedacted(t *testing.T) {
	s, err := NewSMSession(bytes.Repeat([]byte{0x33}, SessionKeySeedLen))
	if err != nil {
		t.Fatal(err)
	}
	w := s.Wrap(Verify(KeyRef(0x14), []byte("123456789018")))
	if w.CLA != CLASecureMessaging || w.Data[0] != SMCryptogram || bytes.Contains(w.Data, []byte("1234")) {
		t.Fatalf("wrapped VERIFY %v", w)
	}
	if r := Redact(w.Bytes()); strings.Count(r, "**") != len(w.Data) {
		t.Errorf("Redact(%v) = %s", w, r)
	}
	r := s.Wrap(ReadBinary(0, 256))
	if want := []byte{SMLe, 3, 0, 1, 0}; !bytes.Equal(r.Data, want) || r.Ne != MaxExtendedNe {
		t.Errorf("wrapped READ BINARY %v", r)
	}
}
