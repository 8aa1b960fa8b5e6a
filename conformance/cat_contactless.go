package conformance

import (
	"bytes"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// contactlessCases check the reader a Type B card is read through
// (card.md §1.2): the ATR a PC/SC part 3 reader builds from ATQB, and its
// GET UID pseudo-APDU, which gives the PUPI the card drew when it was
// activated. On a contact reader only CL-UID-005 applies.
func contactlessCases() []Case {
	return []Case{
		{ID: "CL-ATR-001", Title: "the contactless ATR is a PC/SC part 3 Type B ATR: 3B 8n 80 01, ATQB application data and protocol info (ISO 14443-4), MBLI nibble, TCK", Spec: "§1.2",
			Run: func(t *T) {
				atr := t.contactless()
				hist, err := profile.HistoricalBytes(atr)
				if err != nil {
					t.Fatalf("ATR % X: %v", atr, err)
				}
				var info []byte
				switch {
				case len(hist) == 8:
					info = hist[4:7]
					if hist[7]&0x0F != 0 {
						t.Errorf("ATR % X: the byte after the protocol info is %02X, want MBLI in the high nibble and 0", atr, hist[7])
					}
				case len(hist) == 12 && hist[0] == atqbHeader:
					info = hist[9:12]
				default:
					t.Fatalf("ATR % X: %d historical bytes, want 8 (application data, protocol info, MBLI) or a whole ATQB", atr, len(hist))
				}
				if info[1]&0x0F != 0x01 {
					t.Errorf("ATR % X: protocol type %X, want 1 (ISO 14443-4)", atr, info[1]&0x0F)
				}
			}},
		{ID: "CL-UID-001", Title: "GET UID (FF CA 00 00 00) answers the 4-byte PUPI and 9000, the same within a session and in the ATR where the reader puts it", Spec: "§1.2",
			Run: func(t *T) {
				atr := t.contactless()
				a := t.pupi()
				t.SelectAP(emulator.AppJPKI)
				if b := t.pupi(); !bytes.Equal(a, b) {
					t.Errorf("GET UID gave % X, then % X in the same session", a, b)
				}
				if in := pupiInATR(atr); in != nil && !bytes.Equal(in, a) {
					t.Errorf("ATR % X carries PUPI % X, GET UID gave % X", atr, in, a)
				}
			}},
		{ID: "CL-UID-002", Title: "GET UID with Le shorter than the UID answers 6C04; with Le 04 the PUPI", Spec: "§1.2",
			Run: func(t *T) {
				t.contactless()
				t.Check("GET UID, Le 02", apdu.GetUID(2), apdu.ExactLength(4))
				a := t.pupi()
				if r := t.Expect("GET UID, Le 04", apdu.GetUID(4), apdu.SWOK); !bytes.Equal(r.Data, a) {
					t.Errorf("GET UID with Le 04 gave % X, with Le 00 % X", r.Data, a)
				}
			}},
		{ID: "CL-UID-003", Title: "GET DATA for the ATS historical bytes (FF CA 01 00) answers 6A81: a Type B card has no ATS", Spec: "§1.2",
			Run: func(t *T) {
				t.contactless()
				t.Check("GET DATA P1=01", apdu.Command{CLA: apdu.CLAReader, INS: apdu.INSGetData, P1: 0x01, Ne: apdu.MaxShortNe}, apdu.SWFuncNotSupported)
			}},
		{ID: "CL-UID-004", Title: "each activation (reset) draws a new random PUPI; a part 3 ATR stays the same", Spec: "§1.2",
			Run: func(t *T) {
				atr := t.contactless()
				a := t.pupi()
				t.Reset()
				b := t.pupi()
				if bytes.Equal(a, b) {
					t.Errorf("PUPI % X again after a reset: not drawn per activation", a)
				}
				if again := t.readerATR(); pupiInATR(atr) == nil && !bytes.Equal(atr, again) {
					t.Errorf("ATR % X became % X after a reset", atr, again)
				}
			}},
		{ID: "CL-UID-005", Title: "on a contact reader GET UID (FF CA 00 00 00) reaches the card, which refuses the class with 6E00", Spec: "§1.2, §8",
			Run: func(t *T) {
				if atr := t.readerATR(); contactlessATR(atr) {
					t.Skipf("contactless ATR % X: the reader answers GET UID", atr)
				}
				t.Check("GET UID", apdu.GetUID(apdu.MaxShortNe), apdu.SWCLANotSupported)
			}},
	}
}

// atqbHeader starts every ATQB (ISO/IEC 14443-3).
const atqbHeader = 0x50

// readerATR asks the target for its reader's ATR; a target that cannot
// tell skips the case.
func (t *T) readerATR() []byte {
	at, ok := t.tgt.(ATRTarget)
	if !ok {
		t.Skipf("%s cannot tell its ATR", t.tgt.Name())
	}
	atr, err := at.ATR()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return atr
}

// contactless returns the ATR of a contactless reader, or skips the case.
func (t *T) contactless() []byte {
	atr := t.readerATR()
	if !contactlessATR(atr) {
		t.Skipf("contact ATR % X: no contactless reader", atr)
	}
	return atr
}

// contactlessATR: PC/SC part 3 readers give every contactless card the
// frame 3B 8n 80 01 (TD1 for T=0, TD2 for T=1, n historical bytes); no
// contact ATR of card.md §1.1 has it.
func contactlessATR(atr []byte) bool {
	return len(atr) >= 5 && atr[0] == 0x3B && atr[1]&0xF0 == 0x80 && atr[2] == 0x80 && atr[3] == 0x01
}

// pupiInATR is the PUPI of an ATR holding the whole ATQB, nil otherwise.
func pupiInATR(atr []byte) []byte {
	if len(atr) == 17 && atr[4] == atqbHeader {
		return atr[5:9]
	}
	return nil
}

// pupi sends GET UID and expects 4 bytes and 9000.
func (t *T) pupi() []byte {
	r := t.Expect("GET UID", apdu.GetUID(apdu.MaxShortNe), apdu.SWOK)
	if len(r.Data) != 4 {
		t.Fatalf("GET UID gave % X: want the 4-byte PUPI of a Type B card", r.Data)
	}
	return r.Data
}
