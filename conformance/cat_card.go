package conformance

import (
	"bytes"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

func cardCases() []Case {
	return []Case{
		{ID: "CARD-MF-001", Title: "SELECT MF (00 A4 00 00) right after reset is refused with 6A86", Spec: "§2",
			Run: func(t *T) {
				t.Check("SELECT MF after reset", apdu.SelectMF(), apdu.SWIncorrectP1P2)
			}},
		{ID: "CARD-MF-002", Title: "SELECT MF inside an AP answers 9000 and leaves the AP current", Spec: "§2",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Expect("SELECT MF inside JPKI", apdu.SelectMF(), apdu.SWOK)
				t.Check("SELECT JPKI EF 000A after SELECT MF", apdu.SelectEF(emulator.JPKIAuthCert.FID()), apdu.SWOK)
			}},
		{ID: "CARD-MF-003", Title: "SELECT 3F00 by FID is not found (6A82)", Spec: "§2",
			Run: func(t *T) {
				t.Check("SELECT 3F00", apdu.Command{INS: apdu.INSSelect, P1: apdu.SelectMFP1, P2: apdu.SelectNoData, Data: apdu.FID(0x3F00)}, apdu.SWFileNotFound)
			}},
		{ID: "CARD-SEL-001", Title: "SELECT of an unknown AID answers 6A82", Spec: "§5",
			Run: func(t *T) {
				aid := bytes.Clone(emulator.AppJPKI.AID())
				aid[len(aid)-1] ^= 0xFF
				t.Check("SELECT unknown AID", apdu.SelectAID(aid), apdu.SWFileNotFound)
			}},
		{ID: "CARD-ERR-001", Title: "a logical channel other than 0 answers 6881", Spec: "§1.3, §8",
			Run: func(t *T) {
				c := apdu.SelectAID(emulator.AppJPKI.AID())
				c.CLA = 0x01
				t.Check("SELECT on channel 1", c, apdu.SWChannelNotSupported)
			}},
		{ID: "CARD-ERR-002", Title: "an unknown instruction answers 6D00", Spec: "§2, §8",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Check("INS 02", apdu.Command{INS: 0x02}, apdu.SWINSNotSupported)
			}},
		{ID: "CARD-ERR-003", Title: "a malformed APDU (Lc not matching the body) answers 6700", Spec: "§8",
			Run: func(t *T) {
				for _, raw := range [][]byte{
					{0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92},             // Lc 10, 2 data bytes
					{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A, 0x00, 0x00}, // 2 bytes too many
				} {
					r := t.transmitRaw(raw)
					if r.SW != apdu.SWWrongLength {
						t.Errorf("% X: got SW %v, want %v", raw, r.SW, apdu.SWWrongLength)
					}
				}
			}},
		{ID: "CARD-ERR-004", Title: "secure-messaging CLA outside a session: SELECT 6882, READ BINARY 69FC", Spec: "§1.3, §8",
			Run: func(t *T) {
				c := apdu.SelectAID(emulator.AppJPKI.AID())
				c.CLA = 0x0C
				t.Check("SM SELECT", c, apdu.SWSMNotSupported)
				t.Open(emulator.JPKIAuthCert)
				rb := apdu.ReadBinary(0, 4)
				rb.CLA = 0x0C
				t.Check("SM READ BINARY", rb, apdu.SWSMError)
			}},
		{ID: "CARD-ERR-005", Title: "the iPhone-token command 80 FC answers 6700 on a physical card", Spec: "§2",
			Run: func(t *T) {
				t.Check("80 FC 00 00", apdu.Command{CLA: apdu.CLAProprietary, INS: apdu.INSLastCommand}, apdu.SWWrongLength)
			}},
		{ID: "CARD-CHAL-001", Title: "GET CHALLENGE returns exactly Le random bytes; the extended form answers 6985", Spec: "§2",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				a := t.Expect("GET CHALLENGE 8", apdu.GetChallenge(8), apdu.SWOK)
				b := t.Expect("GET CHALLENGE 8", apdu.GetChallenge(8), apdu.SWOK)
				if len(a.Data) != 8 || len(b.Data) != 8 {
					t.Fatalf("GET CHALLENGE 8: got %d and %d bytes", len(a.Data), len(b.Data))
				}
				if bytes.Equal(a.Data, b.Data) {
					t.Errorf("two challenges are equal (% X): not random", a.Data)
				}
				t.Check("extended GET CHALLENGE", apdu.Command{INS: apdu.INSGetChallenge, Ne: 16, Extended: true}, apdu.SWConditionsNotMet)
			}},
		{ID: "CARD-KIND-001", Title: "the card kind read off the card (0008, PIN counters, validity) matches the profile", Spec: "§4.1, §11.2",
			Run: func(t *T) {
				if t.givenKind == "" {
					t.Skipf("no kind given; the card reads as %s", detectKind(t))
				}
				t.Equal("card kind", t.givenKind, detectKind(t))
			}},
	}
}

// transmitRaw sends bytes that need not parse as a command; the report
// shows them as sent.
func (t *T) transmitRaw(raw []byte) apdu.Response {
	t.log = append(t.log, Exchange{Command: apdu.Redact(raw) + " (raw)"})
	got, err := t.tgt.Transmit(raw)
	if err != nil {
		t.Fatalf("%s: transmit: %v", t.tgt.Name(), err)
	}
	r, err := apdu.ParseResponse(got)
	if err != nil {
		t.Fatalf("answer to % X: %v", raw, err)
	}
	ex := &t.log[len(t.log)-1]
	ex.SW, ex.Data = r.SW, bytes.Clone(r.Data)
	ex.Response = spacedHex(got)
	return r
}
