package emulator

import (
	"fmt"
	"strings"
)

// Kind is a card preset (card.md §11): what a card was made as, or what
// the issuer operations turned it into. Its text is the card file's "kind".
type Kind string

const (
	KindNormal       Kind = "normal"        // both certificates, all PINs usable
	KindFaceAuth     Kind = "face-auth"     // 顔認証: no sign certificate, 4-digit PINs locked
	KindNoSignCert   Kind = "no-sign-cert"  // e.g. under 15: no sign certificate, PINs usable
	KindPINBlocked   Kind = "pin-blocked"   // the JPKI auth PIN counter is used up
	KindExpiredCerts Kind = "expired-certs" // auth and sign certificates expired
)

// Kinds lists the presets.
func Kinds() []Kind {
	return []Kind{KindNormal, KindFaceAuth, KindNoSignCert, KindPINBlocked, KindExpiredCerts}
}

// Validate reports whether k is one of Kinds.
func (k Kind) Validate() error {
	names := make([]string, 0, len(Kinds()))
	for _, x := range Kinds() {
		if k == x {
			return nil
		}
		names = append(names, string(x))
	}
	return fmt.Errorf("unknown kind %q (want one of %s)", string(k), strings.Join(names, ", "))
}
