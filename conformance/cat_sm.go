package conformance

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Secure messaging in the 券面入力補助AP (card.md §4.2): the session opens
// only after the text PIN, and what it reads equals the plain read. No
// case presents a secret under SM: traces would carry only a cryptogram,
// but Verify's safety rules work on plain VERIFY.

// openSM reads the session key of text EF 0006 (the text PIN must be
// verified), delivers a fresh seed and returns the terminal's session.
func (t *T) openSM() *apdu.SMSession {
	t.Open(emulator.TextSMKey)
	ef := t.ReadFile()
	pub := t.rsaObjects("text 0006", t.object("text 0006", ef).Value)
	seed := make([]byte, apdu.SessionKeySeedLen)
	if _, err := rand.Read(seed); err != nil {
		t.Fatalf("seed: %v", err)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, apdu.SessionKeyDelivery(seed), nil)
	if err != nil {
		t.Fatalf("RSA-OAEP to text 0006: %v", err)
	}
	t.Expect("SET SESSION KEY", apdu.SetSessionKey(ct), apdu.SWOK)
	s, err := apdu.NewSMSession(seed)
	if err != nil {
		t.Fatalf("SM session: %v", err)
	}
	return s
}

// readSM selects fid and reads it to the end, both under SM, and returns
// the plaintext.
func (t *T) readSM(s *apdu.SMSession, fid uint16) []byte {
	t.Expect("SM SELECT", s.Wrap(apdu.SelectEF(fid)), apdu.SWOK)
	r := t.Expect("SM READ BINARY", s.Wrap(apdu.ReadBinary(0, apdu.MaxExtendedNe)), apdu.SWOK)
	p, err := s.Unwrap(r.Data)
	if err != nil {
		t.Fatalf("SM READ BINARY of %04X: answer % X…: %v", fid, r.Data[:min(4, len(r.Data))], err)
	}
	return p
}

func smCases() []Case {
	textPIN := []emulator.FileRef{emulator.TextPIN}
	junk := make([]byte, 256) // below any modulus, and no OAEP block
	return []Case{
		{ID: "SM-SSK-001", Title: "SET SESSION KEY in the text AP before the text PIN answers 6982", Spec: "§4.2, §5, §8",
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Check("SET SESSION KEY without the PIN", apdu.SetSessionKey(junk), apdu.SWSecurityNotSatisfied)
			}},
		{ID: "SM-SSK-002", Title: "with the text PIN, a session key that does not decrypt answers 6A80 and opens no session", Spec: "§4.2, §8",
			Needs: textPIN,
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPIN)
				t.Check("SET SESSION KEY, not decryptable", apdu.SetSessionKey(junk), apdu.SWWrongData)
				sm := apdu.Command{CLA: apdu.CLASecureMessaging, INS: apdu.INSReadBinary, Data: []byte{apdu.SMLe, 3, 0, 0, 0}, Ne: apdu.MaxExtendedNe}
				t.Check("SM READ BINARY without a session", sm, apdu.SWSMError)
			}},
		{ID: "SM-RD-001", Title: "under SM (RSA-OAEP session key to 0006, AES-128-CBC, DO 86/96), 0001 and 0002 read as in plain", Spec: "§4.2",
			Needs: textPIN,
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPIN)
				want := map[uint16][]byte{}
				for _, ref := range []emulator.FileRef{emulator.TextMyNumber, emulator.TextAttributes} {
					t.Open(ref)
					want[ref.FID()] = t.ReadFile()
				}
				s := t.openSM()
				for _, fid := range []uint16{emulator.TextMyNumber.FID(), emulator.TextAttributes.FID()} {
					t.Equal(fmt.Sprintf("SM read of text %04X", fid), want[fid], t.readSM(s, fid))
				}
			}},
		{ID: "SM-ERR-001", Title: "READ BINARY under SM with DO 86 instead of 96 answers 6988 and ends the session (69FC after)", Spec: "§4.2, §8",
			Needs: textPIN,
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPIN)
				s := t.openSM()
				t.Expect("SM SELECT", s.Wrap(apdu.SelectEF(emulator.TextMyNumber.FID())), apdu.SWOK)
				swapped := s.Wrap(apdu.SelectEF(emulator.TextMyNumber.FID()))
				swapped.INS, swapped.P1, swapped.P2, swapped.Ne = apdu.INSReadBinary, 0, 0, apdu.MaxExtendedNe
				t.Check("SM READ BINARY with DO 86", swapped, apdu.SWSMObjectsIncorrect)
				r := t.Check("SM READ BINARY after the error", s.Wrap(apdu.ReadBinary(0, apdu.MaxExtendedNe)), apdu.SWSMError)
				t.Equal("data answered by a broken session", 0, len(r.Data))
			}},
	}
}
