package conformance

import (
	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// detectKind reads the card's kind off the card without presenting any
// secret: the certificate-availability EF 0008 (card.md §4.1), the counters
// of the 4-digit PINs (§11.2) and the auth certificate's validity.
func detectKind(t *T) emulator.Kind {
	t.Open(emulator.JPKICertStatus)
	r := t.ReadBinary(0, 3)
	if r.SW != apdu.SWOK || len(r.Data) != 3 {
		t.Fatalf("JPKI 0008: got %d bytes and SW %v, want 3 bytes", len(r.Data), r.SW)
	}
	signCert := r.Data[0] == 0x8F
	blocked := 0
	for _, ref := range fourDigitPINs {
		if left, verified := t.Query(ref); left == 0 && !verified {
			blocked++
		}
	}
	switch {
	case !signCert && blocked == len(fourDigitPINs):
		return emulator.KindFaceAuth
	case blocked > 0:
		return emulator.KindPINBlocked
	case !signCert:
		return emulator.KindNoSignCert
	case t.now().After(t.cert(emulator.JPKIAuthCert).NotAfter):
		return emulator.KindExpiredCerts
	}
	return emulator.KindNormal
}
