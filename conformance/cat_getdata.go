package conformance

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// GET DATA at MF level (card.md §2): the runner resets the card before
// each case, so no application is selected when a case starts. Which
// objects a card holds varies (card.md §2, §12), so an object other than
// 00F0, 00F2 and 00F8 may answer 6A 88; one that answers must have its
// structure.

// getData asks for tag with an extended Le (large objects refuse a short
// one) and returns its value, or nil after 6A 88 when absent is allowed.
func (t *T) getData(tag emulator.DataTag, mayBeAbsent bool) []byte {
	c := apdu.GetData(uint16(tag), apdu.MaxExtendedNe)
	c.Extended = true
	want := []apdu.SW{apdu.SWOK}
	if mayBeAbsent {
		want = append(want, apdu.SWDataNotFound)
	}
	r := t.Check("GET DATA "+tag.String(), c, want...)
	if r.SW != apdu.SWOK {
		return nil
	}
	return r.Data
}

// keyIdentifier checks a 16-byte key identifier (card.md §9): 7 ASCII
// digits, 2 bytes, 3 ASCII digits, 4 bytes of padding.
func (t *T) keyIdentifier(what string, b []byte) {
	if len(b) != 16 || !digits(b[:7], 7) || !digits(b[9:12], 3) {
		t.Errorf("%s: % X is not a key identifier (7 digits, 2 bytes, 3 digits, 4 bytes)", what, b)
	}
}

// cvContents checks a CV certificate as GET DATA answers it, without its
// 7F21 template (card.md §4.2 EF 0004 layout): 5F4E of 297 bytes (issuer
// and subject key identifiers, an RSA-2048 key) and 5F37 of 256 bytes.
func (t *T) cvContents(what string, b []byte) (issuer, subject, signed, sig []byte, key *rsa.PublicKey) {
	objs, err := apdu.ParseAllBER(b)
	if err != nil || len(objs) != 2 || objs[0].TagNumber() != tagCVBody || objs[1].TagNumber() != tagCVSignature {
		t.Fatalf("%s: want 5F4E {…} 5F37 {…} (err %v)", what, err)
	}
	body, s := objs[0].Value, objs[1].Value
	t.Equal(what+" header", []byte{0x5F, 0x4E, 0x82, 0x01, 0x29}, b[:5])
	t.Equal(what+" signature length", 256, len(s))
	t.keyIdentifier(what+" issuer key id", body[:16])
	t.keyIdentifier(what+" subject key id", body[16:32])
	return body[:16], body[16:32], body, s, t.rsaObjects(what, body[32:])
}

func getDataCases() []Case {
	return []Case{
		{ID: "CARD-GD-001", Title: "GET DATA 00F0 at MF level answers the municipality code, 5 ASCII digits", Spec: "§2",
			Run: func(t *T) {
				if v := t.getData(emulator.TagMunicipality, false); !digits(v, 5) {
					t.Errorf("00F0 = %q, want 5 digits", v)
				}
			}},
		{ID: "CARD-GD-002", Title: "GET DATA 00F2 at MF level answers the expiry date, 8 ASCII digits", Spec: "§2",
			Run: func(t *T) {
				v := t.getData(emulator.TagExpiry, false)
				if !digits(v, 8) {
					t.Fatalf("00F2 = %q, want 8 digits", v)
				}
				t.dateObject("00F2", v)
			}},
		{ID: "CARD-GD-003", Title: "GET DATA 5F51 answers the contact ATR without TS, its TCK making the XOR zero (at MF level or inside an AP)", Spec: "§1.1, §2",
			Run: func(t *T) {
				v := t.getData(emulator.TagATR, true)
				if v == nil {
					t.SelectAP(emulator.AppCommon)
					v = t.getData(emulator.TagATR, false)
				}
				var x byte
				for _, b := range v {
					x ^= b
				}
				if len(v) < 2 || x != 0 {
					t.Errorf("5F51 % X: the XOR of T0…TCK is %02X, want 00", v, x)
				}
			}},
		{ID: "CARD-GD-004", Title: "GET DATA 0042 answers the issuer identification number, a 16-byte key identifier", Spec: "§2, §9",
			Run: func(t *T) {
				if v := t.getData(emulator.TagIssuerID, true); v != nil {
					t.keyIdentifier("0042", v)
				}
			}},
		{ID: "CARD-GD-005", Title: "GET DATA 0045 answers the card identification number in ASCII", Spec: "§2",
			Run: func(t *T) {
				v := t.getData(emulator.TagCardID, true)
				if v != nil && (len(v) == 0 || bytes.IndexFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7E }) >= 0) {
					t.Errorf("0045 % X: not printable ASCII", v)
				}
			}},
		{ID: "CARD-GD-006", Title: "GET DATA 0066 answers GlobalPlatform card recognition data: 66 { 73 { OID 1.2.840.114283.1, 60 card management version } }", Spec: "§2",
			Run: func(t *T) {
				v := t.getData(emulator.TagCardRecognition, true)
				if v == nil {
					return
				}
				crd := t.object("0066", v)
				t.Equal("0066 tag", uint32(0x66), crd.TagNumber())
				inner := t.child("0066", crd, 0x73)
				t.Equal("0066 OID", []byte{0x06, 0x07, 0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x01}, inner.Value[:min(9, len(inner.Value))])
				if oid := t.child("0066", inner, 0x60); !bytes.HasPrefix(oid.Value, []byte{0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x02}) {
					t.Errorf("0066: card management type % X, want OID 1.2.840.114283.2.…", oid.Value)
				}
			}},
		{ID: "CARD-GD-007", Title: "GET DATA 00F8 refuses a short Le with 6700 and answers a CV certificate (5F4E, 5F37) to an extended Le; 00F7 names its subject key", Spec: "§2, §9",
			Run: func(t *T) {
				t.Check("GET DATA 00F8 with Le=00", apdu.GetData(uint16(emulator.TagCVCertRoot), apdu.MaxShortNe), apdu.SWWrongLength)
				v := t.getData(emulator.TagCVCertRoot, false)
				t.Equal("00F8 length (568 of EF 0004 less the 7F21 header)", 563, len(v))
				_, subject, _, _, _ := t.cvContents("00F8", v)
				if id := t.getData(emulator.TagIntermediateKeyID, true); id != nil {
					t.Equal("00F7 (the key 00F8 certifies)", subject, id)
				}
			}},
		{ID: "CARD-GD-008", Title: "GET DATA 7F21, where present, is a CV certificate signed by the key 00F8 certifies", Spec: "§2, §12",
			Run: func(t *T) {
				t.Check("GET DATA 7F21 with Le=00", apdu.GetData(uint16(emulator.TagCVCertIntermediate), apdu.MaxShortNe), apdu.SWWrongLength, apdu.SWDataNotFound)
				lower := t.getData(emulator.TagCVCertIntermediate, true)
				if lower == nil {
					return
				}
				_, upperSubject, _, _, key := t.cvContents("00F8", t.getData(emulator.TagCVCertRoot, false))
				issuer, _, signed, sig, _ := t.cvContents("7F21", lower)
				t.Equal("7F21 issuer (00F8's subject)", upperSubject, issuer)
				h := sha256.Sum256(signed)
				if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], sig); err != nil {
					t.Errorf("7F21 signature under the key of 00F8: %v", err)
				}
			}},
		{ID: "CARD-GD-009", Title: "inside an AP the MF-level objects answer 6A88 (5F51 may answer)", Spec: "§2",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				for _, tag := range []emulator.DataTag{emulator.TagIssuerID, emulator.TagCardID, emulator.TagCardRecognition, emulator.TagMunicipality, emulator.TagExpiry, emulator.TagIntermediateKeyID, emulator.TagCVCertRoot, emulator.TagCVCertIntermediate} {
					c := apdu.GetData(uint16(tag), apdu.MaxExtendedNe)
					c.Extended = true
					t.Check("GET DATA "+tag.String()+" in JPKI", c, apdu.SWDataNotFound)
				}
			}},
		{ID: "CARD-GD-010", Title: "GET DATA of a tag the card does not hold answers 6A88", Spec: "§2, §8",
			Run: func(t *T) {
				t.Check("GET DATA 0041", apdu.GetData(0x0041, apdu.MaxShortNe), apdu.SWDataNotFound)
			}},
	}
}
