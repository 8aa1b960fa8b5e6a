package conformance

import (
	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// detectKind reads the card's kind off the card without presenting any
// secret: the certificate-availability EF 0008 (card.md §4.1), the counters
// of the 4-digit PINs (§11.2) and the auth certificate's validity.
func detectKind(t *T) string {
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
		return KindFaceAuth
	case blocked > 0:
		return KindPINBlocked
	case !signCert:
		return KindNoSignCert
	case t.now().After(t.cert(emulator.JPKIAuthCert).NotAfter):
		return KindExpiredCerts
	}
	return KindNormal
}
