package conformance

import (
	"crypto/rand"
	"maps"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

func faceAuthCases() []Case {
	return []Case{
		{ID: "FACE-AUTH-001", Title: "a face-auth card has no sign certificate: 0008 = 00 8F 00", Spec: "§11.1, §11.2, §13.7",
			Kinds: onlyFaceAuth,
			Run: func(t *T) {
				t.Open(emulator.JPKICertStatus)
				t.Equal("0008", []byte{0x00, 0x8F, 0x00}, t.ReadAs(stylePhysical))
			}},
		{ID: "FACE-AUTH-002", Title: "the 4-digit PINs and the sign password are locked: empty VERIFY answers 63C0", Spec: "§11.2, §13.7",
			Kinds: onlyFaceAuth,
			Run: func(t *T) {
				for _, ref := range append(fourDigitPINs[:len(fourDigitPINs):len(fourDigitPINs)], emulator.JPKISignPassword) {
					t.Open(ref)
					t.Check("empty VERIFY of "+ref.String(), apdu.VerifyQuery(apdu.CurrentEF), apdu.RetriesLeft(0))
				}
			}},
		{ID: "FACE-AUTH-003", Title: "the auth key cannot sign: VERIFY of the auth PIN is 6984 and signing 6982", Spec: "§11.1, §11.2",
			Kinds: onlyFaceAuth, Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Equal("VERIFY of the locked auth PIN", apdu.SWAuthBlocked, t.Verify(emulator.JPKIAuthPIN, t.Secret(emulator.JPKIAuthPIN)))
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("sign", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "FACE-AUTH-004", Title: "the text AP still opens with 照合番号A (0001) and 照合番号B (0002)", Spec: "§11.3, §6.5",
			Kinds: onlyFaceAuth, Needs: []emulator.FileRef{emulator.TextPINA, emulator.TextPINB},
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPINA)
				if !t.readAllowed(emulator.TextMyNumber.FID()) {
					t.Errorf("text 0001 not readable after 照合番号A")
				}
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPINB)
				t.textAttributes()
			}},
	}
}

func invariantCases() []Case {
	return []Case{
		{ID: "INV-001", Title: "a locked PIN cannot be used: every blocked key answers 6984 even to its right value and stays blocked", Spec: "§7.2, §11.2",
			Run: func(t *T) {
				tried := 0
				for _, k := range keyTable {
					if _, ok := t.prof.Secrets[k.ref]; !ok {
						continue
					}
					if t.fullCounter(k.ref) > 0 {
						continue
					}
					tried++
					t.Equal("VERIFY of blocked "+k.ref.String()+" with its right value", apdu.SWAuthBlocked, t.Verify(k.ref, t.Secret(k.ref)))
					t.Equal("tries left on "+k.ref.String()+" afterwards", 0, t.fullCounter(k.ref))
				}
				if tried == 0 {
					t.Skipf("no key with a given secret is blocked on this card")
				}
			}},
		{ID: "INV-002", Title: "a face-auth card still serves its auth certificate and, with 照合番号B, its card face", Spec: "§11.1, §11.3",
			Kinds: onlyFaceAuth, Needs: []emulator.FileRef{emulator.VisualPINB},
			Run: func(t *T) {
				if c := t.cert(emulator.JPKIAuthCert); c.NotAfter.Before(t.now()) {
					t.Errorf("auth certificate expired %v", c.NotAfter)
				}
				t.SelectAP(emulator.AppVisual)
				t.Unlock(emulator.VisualPINB)
				t.SelectEF(emulator.VisualCardFace.FID())
				t.offsetRecord("visual 0002", t.ReadAs(styleMyna), 0xFF20, 9)
			}},
		{ID: "INV-003", Title: "reversal restores the PINs: after the municipality reverses face-auth, the new 4-digit PINs verify and the auth key signs", Spec: "§11.1",
			Kinds: onlyFaceAuth, Class: Destructive, Issuer: true,
			Run: func(t *T) {
				pins := emulator.PINSet{Auth: emulator.Secret("4711"), Text: emulator.Secret("4712"), Juki: emulator.Secret("4713"), Common: emulator.Secret("4714")}
				t.issue(func(s *emulator.State) error { return s.ReverseFaceAuth(pins) }, map[emulator.FileRef]emulator.Secret{
					emulator.JPKIAuthPIN: pins.Auth, emulator.TextPIN: pins.Text, emulator.JukiPIN: pins.Juki, emulator.CommonPIN: pins.Common})
				for _, ref := range fourDigitPINs {
					t.Equal("tries left on "+ref.String(), 3, t.fullCounter(ref))
					t.Unlock(ref)
				}
				t.authSign()
			}},
		{ID: "INV-004", Title: "counters only fall on a wrong value: reads, refused reads, signing without PIN, selects and resets change none", Spec: "§7.2",
			Run: func(t *T) {
				before := t.allCounters()
				for _, app := range emulator.Apps() {
					t.SelectAP(app)
					for fid := uint16(1); fid <= 0x1E; fid++ {
						if t.Send(apdu.SelectEF(fid)).SW == apdu.SWOK {
							t.Send(apdu.ReadBinary(0, 1))
							t.Send(apdu.ComputeSignature(0x00, digestInfo(testMessage)))
						}
					}
				}
				t.Reset()
				t.Equal("counters after reads, refusals and resets", before, t.allCounters())
			}},
		{ID: "INV-005", Title: "a key verified in one AP opens nothing in another AP", Spec: "§7.2",
			Needs: []emulator.FileRef{emulator.TextPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPIN)
				t.SelectAP(emulator.AppVisual)
				for _, fid := range protectedEFs[emulator.AppVisual] {
					if t.readAllowed(fid) {
						t.Errorf("visual/%04X readable after the text PIN", fid)
					}
				}
				t.SelectAP(emulator.AppJPKI)
				if t.Send(apdu.SelectEF(emulator.JPKISignCert.FID())).SW == apdu.SWOK {
					t.Check("JPKI 0001 after the text PIN", apdu.ReadBinary(0, 1), apdu.SWSecurityNotSatisfied)
				}
			}},
	}
}

// allCounters reads every key's counter without spending a try.
func (t *T) allCounters() map[string]int {
	out := map[string]int{}
	for _, k := range keyTable {
		out[k.ref.String()] = t.fullCounter(k.ref)
	}
	return out
}

// issue runs an issuer operation and makes the values it set the secrets
// the rest of the case presents.
func (t *T) issue(op func(*emulator.State) error, secrets map[emulator.FileRef]emulator.Secret) {
	if t.caps.Issuer == nil {
		t.Skipf("%s has no issuer operations", t.tgt.Name())
	}
	t.log = append(t.log, Exchange{Command: "(issuer operation)"})
	if err := t.caps.Issuer.Issue(op); err != nil {
		t.Fatalf("issuer operation: %v", err)
	}
	p := *t.prof
	p.Secrets = maps.Clone(p.Secrets)
	maps.Copy(p.Secrets, secrets)
	t.prof = &p
	t.memo = newSecretMemo()
	t.app = emulator.AppNone
}

func issuerCases() []Case {
	return []Case{
		{ID: "ISSUER-001", Title: "converting a normal card to face-auth removes the sign certificate, locks the 4-digit PINs, keeps the auth certificate", Spec: "§11.1, §11.2",
			Kinds: []emulator.Kind{emulator.KindNormal}, Class: Destructive, Issuer: true, Needs: []emulator.FileRef{emulator.VisualPINB},
			Run: func(t *T) {
				t.issue(func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.Reader) }, nil)
				t.Equal("kind read off the card", emulator.KindFaceAuth, detectKind(t))
				t.cert(emulator.JPKIAuthCert)
				t.SelectAP(emulator.AppVisual)
				t.Unlock(emulator.VisualPINB)
				if !t.readAllowed(emulator.VisualCardFace.FID()) {
					t.Errorf("card face not readable with 照合番号B after conversion")
				}
			}},
		{ID: "ISSUER-002", Title: "a municipal unblock of an exhausted auth PIN restores it: full counter, VERIFY 9000", Spec: "§7.2, §11.1",
			// A face-auth card's PINs stay locked until it is reversed (INV-003).
			Kinds: pinKinds, Class: Destructive, Issuer: true, Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.issue(func(s *emulator.State) error { return s.ExhaustPIN(emulator.JPKIAuthPIN) }, nil)
				t.Equal("tries left after exhaustion", 0, t.fullCounter(emulator.JPKIAuthPIN))
				pin := emulator.Secret("2468")
				t.issue(func(s *emulator.State) error { return s.Unblock(emulator.JPKIAuthPIN, pin) },
					map[emulator.FileRef]emulator.Secret{emulator.JPKIAuthPIN: pin})
				t.Equal("tries left after unblock", 3, t.fullCounter(emulator.JPKIAuthPIN))
				t.authSign()
			}},
		{ID: "ISSUER-003", Title: "an issuer operation ends the session's verified state", Spec: "§7.2",
			Class: Destructive, Issuer: true, Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				t.issue(func(*emulator.State) error { return nil }, nil)
				t.SelectAP(emulator.AppJPKI)
				t.SelectEF(emulator.JPKIAuthKey.FID())
				t.Check("sign after an issuer operation", apdu.ComputeSignature(0x00, digestInfo(testMessage)), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "ISSUER-004", Title: "after reversal the municipality can issue a sign certificate again: 0008 = 8F 8F 00, the new password opens it", Spec: "§11.1",
			Kinds: onlyFaceAuth, Class: Destructive, Issuer: true,
			Run: func(t *T) {
				pins := emulator.PINSet{Auth: emulator.Secret("1357"), Text: emulator.Secret("1357"), Juki: emulator.Secret("1357"), Common: emulator.Secret("1357")}
				password := emulator.Secret("NEWPASS42")
				t.issue(func(s *emulator.State) error {
					if err := s.ReverseFaceAuth(pins); err != nil {
						return err
					}
					return profile.IssueSignCert(s, password, t.now())
				}, map[emulator.FileRef]emulator.Secret{emulator.JPKIAuthPIN: pins.Auth, emulator.JPKISignPassword: password})
				t.Open(emulator.JPKICertStatus)
				t.Equal("0008", []byte{0x8F, 0x8F, 0x00}, t.ReadAs(stylePhysical))
				t.Equal("tries left on the new sign password", 5, t.fullCounter(emulator.JPKISignPassword))
				t.Unlock(emulator.JPKISignPassword)
				if err := t.cert(emulator.JPKISignCert).CheckSignatureFrom(t.cert(emulator.JPKISignCACert)); err != nil {
					t.Errorf("new sign certificate vs sign CA: %v", err)
				}
			}},
	}
}
