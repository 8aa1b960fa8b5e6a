package conformance

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"strings"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Catalogue returns every case in a stable order: card level, then each
// application, then signatures, security status and counters across
// keys, then the face-auth, invariant and issuer cases, and those of the
// reader a contactless card is read through.
func Catalogue() []Case {
	var all []Case
	for _, part := range [][]Case{cardCases(), getDataCases(), jpkiCases(), textCases(), smCases(), visualCases(), jukiCommonCases(), pinCases(), accessCases(), signCases(), statusCases(), counterCases(), faceAuthCases(), invariantCases(), issuerCases(), contactlessCases()} {
		all = append(all, part...)
	}
	return all
}

// Kind groups used by cases.
var (
	signCertKinds   = []emulator.Kind{emulator.KindNormal, emulator.KindPINBlocked, emulator.KindExpiredCerts}
	noSignCertKinds = []emulator.Kind{emulator.KindFaceAuth, emulator.KindNoSignCert}
	validCertKinds  = []emulator.Kind{emulator.KindNormal, emulator.KindFaceAuth, emulator.KindNoSignCert, emulator.KindPINBlocked}
	onlyFaceAuth    = []emulator.Kind{emulator.KindFaceAuth}
	pinKinds        = []emulator.Kind{emulator.KindNormal, emulator.KindNoSignCert, emulator.KindPINBlocked, emulator.KindExpiredCerts}
)

// fourDigitPINs are the holder's 4-digit PINs, which a face-auth card has
// locked (card.md §11.2; emulator.Settings.FaceAuthLock).
var fourDigitPINs = []emulator.FileRef{emulator.JPKIAuthPIN, emulator.TextPIN, emulator.JukiPIN, emulator.CommonPIN}

// testMessage is what the signing cases sign.
var testMessage = []byte("mynacard conformance: signed by the card under test")

func digestInfo(msg []byte) []byte { return apdu.SHA256DigestInfo(sha256.Sum256(msg)) }

// cert reads an EF holding a DER certificate (selecting its application
// if needed) and parses it.
func (t *T) cert(ref emulator.FileRef) *x509.Certificate {
	t.Open(ref)
	der := t.ReadAs(styleOpenSC)
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("%v: not an X.509 certificate: %v", ref, err)
	}
	return c
}

// rsaKey returns the RSA public key of a certificate.
func (t *T) rsaKey(c *x509.Certificate) *rsa.PublicKey {
	k, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok || k.N.BitLen() != 2048 {
		t.Fatalf("certificate %q: want an RSA-2048 key, got %T", c.Subject, c.PublicKey)
	}
	return k
}

// sign sends 80 2A p1 80 with the current EF as key and expects a 256-byte
// signature.
func (t *T) sign(p1 byte, data []byte) []byte {
	r := t.Expect("COMPUTE SIGNATURE", apdu.ComputeSignature(p1, data), apdu.SWOK)
	if len(r.Data) != 256 {
		t.Fatalf("COMPUTE SIGNATURE: got %d bytes, want 256 (RSA-2048)", len(r.Data))
	}
	return r.Data
}

// authSign verifies the auth PIN, signs testMessage with the auth key,
// checks the signature against the auth certificate and returns it.
func (t *T) authSign() []byte {
	pub := t.rsaKey(t.cert(emulator.JPKIAuthCert))
	t.Unlock(emulator.JPKIAuthPIN)
	t.SelectEF(emulator.JPKIAuthKey.FID())
	sig := t.sign(0x00, digestInfo(testMessage))
	h := sha256.Sum256(testMessage)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("auth-key signature does not verify with the auth certificate: %v", err)
	}
	return sig
}

// readAllowed reads the first byte of an EF of the current application
// and reports whether the card let it: 90 00 yes, 69 82 no; anything
// else fails the case.
func (t *T) readAllowed(fid uint16) bool {
	t.SelectEF(fid)
	r := t.ReadBinary(0, 1)
	switch r.SW {
	case apdu.SWOK:
		return true
	case apdu.SWSecurityNotSatisfied:
		return false
	}
	t.Fatalf("READ BINARY %s/%04X: got SW %v, want 9000 or 6982", t.app, fid, r.SW)
	return false
}

// digits reports whether b is n ASCII digits.
func digits(b []byte, n int) bool {
	return len(b) == n && strings.Trim(string(b), "0123456789") == ""
}

// myNumberValid checks the check digit of a 12-digit My Number (the
// 行政手続における特定の個人を識別するための番号 check-digit rule).
func myNumberValid(s []byte) bool {
	if !digits(s, 12) {
		return false
	}
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(s[11-n] - '0')
		q := n + 1
		if n > 6 {
			q = n - 5
		}
		sum += p * q
	}
	check := 11 - sum%11
	if sum%11 <= 1 {
		check = 0
	}
	return int(s[11]-'0') == check
}
