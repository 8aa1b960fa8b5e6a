package conformance

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// jpkiKey is one of the JPKI private keys with the key reference that
// unlocks it and the certificate that holds its public half (card.md §4.1).
type jpkiKey struct {
	name string
	key  emulator.FileRef
	pin  emulator.FileRef
	cert emulator.FileRef
}

var (
	authKey = jpkiKey{"auth key", emulator.JPKIAuthKey, emulator.JPKIAuthPIN, emulator.JPKIAuthCert}
	signKey = jpkiKey{"sign key", emulator.JPKISignKey, emulator.JPKISignPassword, emulator.JPKISignCert}
)

// padding is one way COMPUTE SIGNATURE pads (card.md §5.1): P1=00 pads a
// DigestInfo with PKCS#1 v1.5, P1=05 hashes the data and signs it with
// RSASSA-PSS.
type padding struct {
	name   string
	p1     byte
	input  func(msg []byte) []byte
	verify func(pub *rsa.PublicKey, msg, sig []byte) error
}

var paddings = []padding{
	{"PKCS#1 v1.5", 0x00, digestInfo, func(pub *rsa.PublicKey, msg, sig []byte) error {
		h := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
	}},
	{"PSS", 0x05, func(msg []byte) []byte { return msg }, func(pub *rsa.PublicKey, msg, sig []byte) error {
		h := sha256.Sum256(msg)
		return rsa.VerifyPSS(pub, crypto.SHA256, h[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	}},
}

// publicKeys reads the certificates of keys; the sign certificate needs
// the sign password verified first.
func (t *T) publicKeys(keys ...jpkiKey) map[emulator.FileRef]*rsa.PublicKey {
	out := map[emulator.FileRef]*rsa.PublicKey{}
	for _, k := range keys {
		out[k.key] = t.rsaKey(t.cert(k.cert))
	}
	return out
}

// signWith signs msg with key k (selected by FID, or named by its SFI in
// P2 when bySFI), checks the signature against the certificate's key pub
// and against every other key in others, which must not verify it.
func (t *T) signWith(k jpkiKey, pd padding, bySFI bool, pub *rsa.PublicKey, others map[string]*rsa.PublicKey) {
	c := apdu.ComputeSignature(pd.p1, pd.input(testMessage))
	how := "selected"
	if bySFI {
		c.P2 = apdu.KeyRef(k.key.FID())
		how = "by SFI"
	} else {
		t.SelectEF(k.key.FID())
	}
	what := fmt.Sprintf("%s (%s) %s signature", k.name, how, pd.name)
	r := t.Expect(what, c, apdu.SWOK)
	if len(r.Data) != 256 {
		t.Fatalf("%s: got %d bytes, want 256 (RSA-2048)", what, len(r.Data))
	}
	if err := pd.verify(pub, testMessage, r.Data); err != nil {
		t.Errorf("%s does not verify with the certificate %v: %v", what, k.cert, err)
	}
	for name, other := range others {
		if pd.verify(other, testMessage, r.Data) == nil {
			t.Errorf("%s verifies with %s: the card signed with the wrong key", what, name)
		}
	}
}

// signBoth verifies the two JPKI keys in the order given, signs with both
// keys in both paddings, selected and by SFI, checks every signature
// against the right certificate and not the other, and checks that
// signing spent no try (card.md §5.1, §6.3, §7.2).
func (t *T) signBoth(order ...jpkiKey) {
	t.SelectAP(emulator.AppJPKI)
	for _, k := range order {
		t.Unlock(k.pin)
	}
	pubs := t.publicKeys(authKey, signKey)
	for _, k := range order {
		other := signKey
		if k == signKey {
			other = authKey
		}
		for _, pd := range paddings {
			for _, bySFI := range []bool{false, true} {
				t.signWith(k, pd, bySFI, pubs[k.key], map[string]*rsa.PublicKey{"the certificate " + other.cert.String(): pubs[other.key]})
			}
		}
	}
	for _, k := range order {
		t.Equal("tries left on "+k.pin.String()+" after signing", t.limit(k.pin), t.fullCounter(k.pin))
	}
}

func signCases() []Case {
	both := []emulator.FileRef{emulator.JPKIAuthPIN, emulator.JPKISignPassword}
	return []Case{
		{ID: "JPKI-SIG-008", Title: "auth PIN then sign password: each key signs (PKCS#1 v1.5 and PSS, selected and by SFI) verifiably with its own certificate only; no try spent", Spec: "§5, §5.1, §6.3, §7.2",
			Kinds: signCertKinds, Needs: both,
			Run: func(t *T) { t.signBoth(authKey, signKey) }},
		{ID: "JPKI-SIG-009", Title: "sign password then auth PIN: each key signs (PKCS#1 v1.5 and PSS, selected and by SFI) verifiably with its own certificate only; no try spent", Spec: "§5, §5.1, §6.3, §7.2",
			Kinds: signCertKinds, Needs: both,
			Run: func(t *T) { t.signBoth(signKey, authKey) }},
		{ID: "JPKI-SIG-010", Title: "with the auth PIN alone the auth key signs (PKCS#1 v1.5 and PSS, selected and by SFI) verifiably with 000A and not with the auth CA; no try spent", Spec: "§5.1, §6.3, §10",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				pub := t.rsaKey(t.cert(emulator.JPKIAuthCert))
				ca := t.rsaKey(t.cert(emulator.JPKIAuthCACert))
				for _, pd := range paddings {
					for _, bySFI := range []bool{false, true} {
						t.signWith(authKey, pd, bySFI, pub, map[string]*rsa.PublicKey{"the auth CA certificate": ca})
					}
				}
				t.Equal("tries left on the auth PIN after signing", t.limit(emulator.JPKIAuthPIN), t.fullCounter(emulator.JPKIAuthPIN))
			}},
	}
}

// schemeInput is COMPUTE SIGNATURE data for scheme p1 and what a verifier
// checks the signature against: the padded bytes for P1=00, the hash for
// the others (card.md §5.1 table).
type schemeInput struct {
	p1          byte
	input, hash []byte
}

// authSchemesVerify unlocks the auth key, has it sign each input with its
// scheme, and verifies every signature with the auth certificate as that
// scheme pads: P1=00 and 01 bare PKCS#1 v1.5, 02 and 03 a SHA-256
// DigestInfo, 04 and 05 PSS.
func (t *T) authSchemesVerify(inputs []schemeInput) {
	pub := t.rsaKey(t.cert(emulator.JPKIAuthCert))
	t.Unlock(emulator.JPKIAuthPIN)
	t.SelectEF(emulator.JPKIAuthKey.FID())
	for _, in := range inputs {
		sig := t.sign(in.p1, in.input)
		var err error
		switch in.p1 {
		case 0x00, 0x01:
			err = rsa.VerifyPKCS1v15(pub, crypto.Hash(0), in.hash, sig)
		case 0x02, 0x03:
			err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, in.hash, sig)
		default:
			err = rsa.VerifyPSS(pub, crypto.SHA256, in.hash, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
		if err != nil {
			t.Errorf("P1=%02X over %d bytes does not verify with the auth certificate: %v", in.p1, len(in.input), err)
		}
	}
}
