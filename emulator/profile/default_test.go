package profile

import (
	"bytes"
	"testing"

	"github.com/mynacard/mynacard/emulator"
)

// TestDefaultKinds checks each preset's defining properties on the
// embedded card, and that the emulator accepts it.
func TestDefaultKinds(t *testing.T) {
	for _, tc := range []struct {
		kind     emulator.Kind
		signCert bool
		status   []byte
		authLeft int // JPKI 0018 tries left
		signLeft int // JPKI 001B tries left
		textLeft int
	}{
		{emulator.KindNormal, true, []byte{0x8F, 0x8F, 0x00}, 3, 5, 3},
		{emulator.KindFaceAuth, false, []byte{0x00, 0x8F, 0x00}, 0, 0, 0},
		{emulator.KindNoSignCert, false, []byte{0x00, 0x8F, 0x00}, 3, 0, 3},
		{emulator.KindPINBlocked, true, []byte{0x8F, 0x8F, 0x00}, 0, 5, 3},
		{emulator.KindExpiredCerts, true, []byte{0x8F, 0x8F, 0x00}, 3, 5, 3},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			s, err := Default(tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != tc.kind {
				t.Errorf("kind %q, want %q", s.Kind, tc.kind)
			}
			if _, err := emulator.New(s); err != nil {
				t.Fatalf("emulator refuses the card: %v", err)
			}
			_, hasCert := s.Files[emulator.JPKISignCert]
			_, hasKey := s.Keys[emulator.JPKISignKey]
			if hasCert != tc.signCert || hasKey != tc.signCert {
				t.Errorf("sign cert %v key %v, want %v", hasCert, hasKey, tc.signCert)
			}
			if got := s.Files[emulator.JPKICertStatus]; !bytes.Equal(got, tc.status) {
				t.Errorf("0008 = % X, want % X", got, tc.status)
			}
			for ref, want := range map[emulator.FileRef]int{
				emulator.JPKIAuthPIN: tc.authLeft, emulator.JPKISignPassword: tc.signLeft, emulator.TextPIN: tc.textLeft,
			} {
				if got := s.PINs[ref].Remaining; got != want {
					t.Errorf("%v remaining %d, want %d", ref, got, want)
				}
			}
		})
	}
}

func TestDefaultIsFreshCopy(t *testing.T) {
	a, err := Default(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	a.Files[emulator.JPKIAuthCert][0] ^= 0xFF
	a.PINs[emulator.JPKIAuthPIN].Remaining = 0
	b, err := Default(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	if b.Files[emulator.JPKIAuthCert][0] != 0x30 || b.PINs[emulator.JPKIAuthPIN].Remaining != 3 {
		t.Error("changing one Default card changed the next")
	}
}

func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Default(emulator.KindNormal); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDefaultExpired(b *testing.B) {
	for b.Loop() {
		if _, err := Default(emulator.KindExpiredCerts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := loadDefault(); err != nil {
			b.Fatal(err)
		}
	}
}
