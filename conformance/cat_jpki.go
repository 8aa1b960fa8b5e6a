package conformance

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"strings"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// certEFs are the JPKI EFs that hold a DER certificate without a PIN.
var freeCertEFs = []emulator.FileRef{emulator.JPKIAuthCert, emulator.JPKIAuthCACert, emulator.JPKISignCACert}

func jpkiCases() []Case {
	cs := []Case{
		{ID: "JPKI-SEL-001", Title: "SELECT JPKI AP with P2=0C answers 9000 and no data", Spec: "§3, §5",
			Run: func(t *T) {
				if r := t.Expect("SELECT JPKI", apdu.SelectAID(emulator.AppJPKI.AID()), apdu.SWOK); len(r.Data) != 0 {
					t.Errorf("SELECT with P2=0C returned %d data bytes, want none", len(r.Data))
				}
			}},
		{ID: "JPKI-SEL-002", Title: "every JPKI EF and key reference selects with 9000", Spec: "§4.1",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				for _, ref := range []emulator.FileRef{emulator.JPKISignCACert, emulator.JPKIToken, emulator.JPKICertStatus,
					emulator.JPKIAuthCert, emulator.JPKIAuthCACert, emulator.JPKIAuthKey, emulator.JPKIAuthPIN, emulator.JPKISignPassword} {
					t.Check("SELECT "+ref.String(), apdu.SelectEF(ref.FID()), apdu.SWOK)
				}
			}},
		{ID: "JPKI-SEL-003", Title: "EFs of other APs and unknown FIDs are not found in the JPKI AP (6A82)", Spec: "§4, §5",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				for _, fid := range []uint16{0x0011, 0x0014, 0x001C, 0x0030, 0x2F10} {
					t.Check("SELECT absent EF", apdu.SelectEF(fid), apdu.SWFileNotFound)
				}
			}},
		{ID: "JPKI-RD-001", Title: "the free certificates read the same with OpenSC's 4-byte probe, myna's 7-byte probe and Le=00 chunks", Spec: "§6.1",
			Run: func(t *T) {
				for _, ref := range freeCertEFs {
					t.Open(ref)
					opensc := t.ReadAs(styleOpenSC)
					myna := t.ReadAs(styleMyna)
					phys := t.ReadAs(stylePhysical)
					t.Equal(ref.String()+" myna vs OpenSC", opensc, myna)
					if !bytes.HasPrefix(phys, opensc) {
						t.Errorf("%v: the Le=00 read (%d bytes) does not start with the certificate (%d bytes)", ref, len(phys), len(opensc))
					}
				}
			}},
		{ID: "JPKI-RD-002", Title: "the auth certificate reads with an odd short Le (0x11) advancing by what the card returns", Spec: "§12",
			Run: func(t *T) {
				t.Open(emulator.JPKIAuthCert)
				want := t.ReadAs(stylePhysical)
				var got []byte
				for {
					r := t.ReadBinary(len(got), 0x11)
					if r.SW == apdu.SWWrongOffset {
						break
					}
					if r.SW != apdu.SWOK || len(r.Data) == 0 || len(r.Data) > 0x11 {
						t.Fatalf("READ BINARY at %d, Le 11: got %d bytes and SW %v", len(got), len(r.Data), r.SW)
					}
					got = append(got, r.Data...)
				}
				t.Equal("auth certificate read with Le=11", want, got)
			}},
		{ID: "JPKI-RD-003", Title: "reading at or past the end of an EF answers 6B00; Le past the end returns the rest with 9000", Spec: "§5, §13.2",
			Run: func(t *T) {
				t.Open(emulator.JPKIAuthCert)
				size := len(t.ReadAs(stylePhysical))
				t.Check("READ BINARY at the file size", apdu.ReadBinary(size, 1), apdu.SWWrongOffset)
				t.Check("READ BINARY at 7FFF", apdu.ReadBinary(maxOffset, 1), apdu.SWWrongOffset)
				r := t.Check("READ BINARY of the last 10 bytes with Le=00", apdu.ReadBinary(size-10, apdu.MaxShortNe), apdu.SWOK)
				if len(r.Data) != 10 {
					t.Errorf("Le=00 at 10 bytes before the end returned %d bytes, want 10", len(r.Data))
				}
			}},
		{ID: "JPKI-RD-004", Title: "token info 0006: 160 bytes, label JPKIAPICCTOKEN2 padded with spaces (myna reads 32, TRET 20)", Spec: "§4.1, §9",
			Run: func(t *T) {
				t.Open(emulator.JPKIToken)
				phys := t.ReadAs(stylePhysical)
				if len(phys) != 160 {
					t.Errorf("token info is %d bytes, want 160", len(phys))
				}
				label := t.ReadBinary(0, 32)
				t.Equal("token label", "JPKIAPICCTOKEN2"+strings.Repeat(" ", 32-15), string(label.Data))
				t.Equal("20-byte read", "JPKIAPICCTOKEN2     ", string(t.ReadBinary(0, 20).Data))
			}},
		{ID: "JPKI-RD-005", Title: "certificate availability 0008 is 8F 8F 00 on a card with a sign certificate", Spec: "§4.1",
			Kinds: signCertKinds,
			Run: func(t *T) {
				t.Open(emulator.JPKICertStatus)
				t.Equal("0008", []byte{0x8F, 0x8F, 0x00}, t.ReadAs(stylePhysical))
			}},
		{ID: "JPKI-RD-006", Title: "certificate availability 0008 is 00 8F 00 on a card without a sign certificate", Spec: "§4.1, §11.2, §13.7",
			Kinds: noSignCertKinds,
			Run: func(t *T) {
				t.Open(emulator.JPKICertStatus)
				t.Equal("0008", []byte{0x00, 0x8F, 0x00}, t.ReadAs(stylePhysical))
			}},
		{ID: "JPKI-RD-007", Title: "the auth certificate chains to the auth CA certificate 000B; the sign CA 0002 is a CA", Spec: "§4.1, §10",
			Run: func(t *T) {
				auth, ca, signCA := t.cert(emulator.JPKIAuthCert), t.cert(emulator.JPKIAuthCACert), t.cert(emulator.JPKISignCACert)
				if err := auth.CheckSignatureFrom(ca); err != nil {
					t.Errorf("auth certificate vs auth CA: %v", err)
				}
				for _, c := range []*x509.Certificate{ca, signCA} {
					if !c.IsCA {
						t.Errorf("%q is not a CA certificate", c.Subject)
					}
				}
				t.rsaKey(auth)
			}},
		{ID: "JPKI-RD-008", Title: "the sign certificate 0001 is refused without the sign password (6982)", Spec: "§4.1, §6.2",
			Kinds: signCertKinds,
			Run: func(t *T) {
				t.Open(emulator.JPKISignCert)
				t.Check("READ BINARY 0001 (OpenSC probe)", apdu.ReadBinary(0, 4), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "JPKI-RD-009", Title: "after the sign password the sign certificate reads, chains to the sign CA and is for non-repudiation", Spec: "§4.1, §6.2, §10",
			Kinds: signCertKinds, Needs: []emulator.FileRef{emulator.JPKISignPassword},
			Run: func(t *T) {
				ca := t.cert(emulator.JPKISignCACert)
				t.Unlock(emulator.JPKISignPassword)
				c := t.cert(emulator.JPKISignCert)
				if err := c.CheckSignatureFrom(ca); err != nil {
					t.Errorf("sign certificate vs sign CA: %v", err)
				}
				if want := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment; c.KeyUsage&want != want {
					t.Errorf("sign certificate key usage %b, want digitalSignature and nonRepudiation", c.KeyUsage)
				}
			}},
		{ID: "JPKI-RD-010", Title: "a card without a sign certificate does not serve 0001 (SELECT 6A82 or READ 6982)", Spec: "§11.2",
			Kinds: noSignCertKinds,
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				if r := t.Check("SELECT 0001", apdu.SelectEF(emulator.JPKISignCert.FID()), apdu.SWOK, apdu.SWFileNotFound); r.SW == apdu.SWOK {
					t.Check("READ BINARY 0001", apdu.ReadBinary(0, 4), apdu.SWSecurityNotSatisfied)
				}
			}},
		{ID: "JPKI-RD-011", Title: "READ BINARY of a private-key EF is refused", Spec: "§8, §13.2",
			Run: func(t *T) {
				t.Open(emulator.JPKIAuthKey)
				t.Check("READ BINARY 0017", apdu.ReadBinary(0, 4), apdu.SWIncompatibleFile, apdu.SWSecurityNotSatisfied)
			}},
		{ID: "JPKI-RD-012", Title: "the auth certificate is valid now", Spec: "§10",
			Kinds: validCertKinds,
			Run: func(t *T) {
				c := t.cert(emulator.JPKIAuthCert)
				if now := t.now(); now.Before(c.NotBefore) || now.After(c.NotAfter) {
					t.Errorf("auth certificate valid %v to %v, not now (%v)", c.NotBefore, c.NotAfter, now)
				}
			}},
		{ID: "JPKI-RD-013", Title: "an expired-certs card serves an expired auth certificate and still signs with its key", Spec: "§10",
			Kinds: []emulator.Kind{emulator.KindExpiredCerts}, Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				if c := t.cert(emulator.JPKIAuthCert); !t.now().After(c.NotAfter) {
					t.Errorf("auth certificate valid until %v: not expired", c.NotAfter)
				}
				t.authSign()
			}},
		{ID: "JPKI-SIG-001", Title: "after the auth PIN the auth key signs a SHA-256 DigestInfo (P1=00) verifiably and deterministically", Spec: "§5.1, §6.3",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				first := t.authSign()
				second := t.sign(0x00, digestInfo(testMessage))
				t.Equal("second signature of the same input", first, second)
			}},
		{ID: "JPKI-SIG-002", Title: "signing without the PIN answers 6982", Spec: "§5.1, §8",
			Run: func(t *T) {
				t.Open(emulator.JPKIAuthKey)
				t.Check("sign without PIN", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "JPKI-SIG-003", Title: "an unknown signature scheme P1 answers 6A86", Spec: "§5.1",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("sign with P1=06", apdu.ComputeSignature(0x06, digestInfo(testMessage)), apdu.SWIncorrectP1P2)
			}},
		{ID: "JPKI-SIG-004", Title: "signing input longer than 245 bytes with P1=00 is refused (6700 or 6985)", Spec: "§5.1",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("sign 246 bytes", apdu.ComputeSignature(0x00, make([]byte, 246)), apdu.SWWrongLength, apdu.SWConditionsNotMet)
			}},
		{ID: "JPKI-SIG-005", Title: "after the sign password the sign key signs verifiably with the sign certificate", Spec: "§5.1, §6.3",
			Kinds: signCertKinds, Needs: []emulator.FileRef{emulator.JPKISignPassword},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKISignPassword)
				pub := t.rsaKey(t.cert(emulator.JPKISignCert))
				t.SelectEF(emulator.JPKISignKey.FID())
				sig := t.sign(0x00, digestInfo(testMessage))
				h := sha256.Sum256(testMessage)
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
					t.Errorf("sign-key signature does not verify with the sign certificate: %v", err)
				}
			}},
		{ID: "JPKI-SIG-006", Title: "the auth PIN does not unlock the sign key, nor the sign password the auth key (6982)", Spec: "§7.2",
			Kinds: signCertKinds, Needs: []emulator.FileRef{emulator.JPKIAuthPIN, emulator.JPKISignPassword},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				t.SelectEF(emulator.JPKISignKey.FID())
				t.Check("sign key after the auth PIN", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKISignPassword)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("auth key after the sign password", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "JPKI-SIG-007", Title: "signature schemes P1=01..05 (bare hash, SHA-256 DigestInfo, PSS) verify with the auth certificate", Spec: "§5.1",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				h := sha256.Sum256(testMessage)
				t.authSchemesVerify([]schemeInput{
					{0x01, testMessage, h[:]},
					{0x02, h[:], h[:]},
					{0x03, testMessage, h[:]},
					{0x04, h[:], h[:]},
					{0x05, testMessage, h[:]},
				})
			}},
		{ID: "JPKI-SIG-011", Title: "each signature scheme takes its longest input: 245 bytes for P1=00, the 255 a short Lc carries for P1=01, 03 and 05", Spec: "§5.1",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				raw := bytes.Repeat([]byte{0x5A}, 245)
				long := bytes.Repeat([]byte{0xA5}, 255)
				h := sha256.Sum256(long)
				t.authSchemesVerify([]schemeInput{
					{0x00, raw, raw},
					{0x01, long, h[:]},
					{0x03, long, h[:]},
					{0x05, long, h[:]},
				})
			}},
		{ID: "JPKI-SEC-001", Title: "re-SELECT of the JPKI AP clears the verified auth PIN (sign then 6982)", Spec: "§7.2",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				t.SelectAP(emulator.AppJPKI)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("sign after re-SELECT", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "JPKI-SEC-002", Title: "a card reset ends the session: signing right after it fails, and after re-selecting JPKI answers 6982", Spec: "§7.2",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Reset()
				if r := t.Send(apdu.ComputeSignature(0x00, digestInfo(testMessage))); r.SW == apdu.SWOK {
					t.Errorf("sign right after reset, without SELECT: got SW %v, want an error", r.SW)
				}
				t.SelectAP(emulator.AppJPKI)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("sign after reset and SELECT", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "JPKI-SEC-003", Title: "selecting another AP and back clears the verified auth PIN", Spec: "§7.2",
			Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				t.SelectAP(emulator.AppText)
				t.SelectAP(emulator.AppJPKI)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("sign after SELECT text, JPKI", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "JPKI-SEC-004", Title: "OpenSC binds: empty VERIFY of 0018 and 001B both answer SW1=63", Spec: "§6.4, §11.2",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				for _, ref := range []emulator.FileRef{emulator.JPKIAuthPIN, emulator.JPKISignPassword} {
					t.SelectEF(ref.FID())
					if r := t.Send(apdu.VerifyQuery(apdu.CurrentEF)); r.SW.SW1() != 0x63 {
						t.Errorf("empty VERIFY of %v: got SW %v, OpenSC needs 63xx", ref, r.SW)
					}
				}
			}},
	}
	return cs
}
