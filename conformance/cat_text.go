package conformance

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Objects of the 券面 APs (card.md §4.2, §4.3, §9).
const (
	tagCVCert      = 0x7F21
	tagCVBody      = 0x5F4E
	tagCVSignature = 0x5F37
)

// cvCert reads an AP's card-verifiable certificate (568 bytes, 7F 21 82 02 33)
// and returns the RSA key it certifies.
func (t *T) cvCert(ref emulator.FileRef) *rsa.PublicKey {
	t.Open(ref)
	b := t.ReadAs(styleMyna)
	t.Equal(ref.String()+" length", 568, len(b))
	t.Equal(ref.String()+" header", []byte{0x7F, 0x21, 0x82, 0x02, 0x33}, b[:min(5, len(b))])
	cv := t.object(ref.String(), b)
	body := t.child(ref.String(), cv, tagCVBody)
	t.child(ref.String(), cv, tagCVSignature)
	if len(body.Value) < 32 {
		t.Fatalf("%v: CV body of %d bytes, want 32 bytes of key ids and a key", ref, len(body.Value))
	}
	return t.rsaObjects(ref.String(), body.Value[32:])
}

// rsaObjects reads an RSA public key written as 90 <exponent> 91 <modulus>.
func (t *T) rsaObjects(what string, b []byte) *rsa.PublicKey {
	objs, err := apdu.ParseAllBER(b)
	if err != nil || len(objs) < 2 || objs[0].TagNumber() != 0x90 || objs[1].TagNumber() != 0x91 {
		t.Fatalf("%s: want an RSA key as 90 {e} 91 {n} (err %v)", what, err)
	}
	e := new(big.Int).SetBytes(objs[0].Value)
	n := new(big.Int).SetBytes(objs[1].Value)
	if !e.IsInt64() || n.BitLen() != 2048 {
		t.Fatalf("%s: RSA key with a %d-bit modulus, want 2048", what, n.BitLen())
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}
}

// offsetRecord parses a record of the form tag { DF21 offset table, objects }
// (text 0002, visual 0002) and checks that each offset points at the
// object it names. It returns the record and its objects by tag.
func (t *T) offsetRecord(what string, b []byte, tag uint32, entries int) (apdu.TLV, map[uint32]apdu.TLV) {
	rec := t.object(what, b)
	if rec.TagNumber() != tag {
		t.Fatalf("%s: starts with tag %X, want %X", what, rec.TagNumber(), tag)
	}
	kids, err := rec.Children()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	byTag := map[uint32]apdu.TLV{}
	for _, k := range kids {
		byTag[k.TagNumber()] = k
	}
	table, ok := byTag[0xDF21]
	if !ok || len(table.Value) != 2*entries {
		t.Fatalf("%s: want a DF21 offset table of %d entries", what, entries)
	}
	for i := range entries {
		off := int(table.Value[2*i])<<8 | int(table.Value[2*i+1])
		want := []byte{0xDF, byte(0x22 + i)}
		if off+2 > len(b) || !bytes.Equal(b[off:off+2], want) {
			t.Errorf("%s: offset table entry %d = %d does not point at tag % X", what, i, off, want)
		}
	}
	return rec, byTag
}

func (t *T) dateObject(what string, v []byte) time.Time {
	d, err := time.Parse("20060102", string(v))
	if err != nil {
		t.Fatalf("%s: %q is not a YYYYMMDD date", what, v)
	}
	return d
}

// textAttributes reads text 0002 (the verification must already be done)
// and checks its structure.
func (t *T) textAttributes() (apdu.TLV, map[uint32]apdu.TLV) {
	t.SelectEF(emulator.TextAttributes.FID())
	rec, obj := t.offsetRecord("text 0002", t.ReadAs(styleMyna), 0xFF20, 4)
	for tag := uint32(0xDF22); tag <= 0xDF25; tag++ {
		if _, ok := obj[tag]; !ok {
			t.Fatalf("text 0002: no %X object", tag)
		}
	}
	t.dateObject("text 0002 DF24 (birth date)", obj[0xDF24].Value)
	if s := string(obj[0xDF25].Value); s != "1" && s != "2" && s != "9" {
		t.Errorf("text 0002 DF25 (sex) = %q, want 1, 2 or 9 (JIS X 0303)", s)
	}
	return rec, obj
}

func textCases() []Case {
	return []Case{
		{ID: "TEXT-SEL-001", Title: "SELECT of the text AP and each of its EFs and key references answers 9000", Spec: "§3, §4.2",
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				for _, fid := range []uint16{1, 2, 3, 4, 5, 6, 7, 0x11, 0x12, 0x14, 0x15} {
					t.Check("SELECT", apdu.SelectEF(fid), apdu.SWOK)
				}
				t.Check("SELECT JPKI's 000A in the text AP", apdu.SelectEF(0x000A), apdu.SWFileNotFound)
			}},
		{ID: "TEXT-RD-001", Title: "the text AP's CV certificate 0004 is free: 568 bytes 7F 21 82 02 33 with an RSA-2048 key", Spec: "§4.2, §9",
			Run: func(t *T) { t.cvCert(emulator.TextCVCert) }},
		{ID: "TEXT-RD-002", Title: "basic info 0005 is free and reads as 256 bytes (myna ReadBasicInfo) holding FF 40 82 00 9F", Spec: "§4.2, §9",
			Run: func(t *T) {
				t.Open(emulator.TextBasicInfo)
				r := t.Expect("READ BINARY 0005 Le=00", apdu.ReadBinary(0, apdu.MaxShortNe), apdu.SWOK)
				t.Equal("0005 length", 256, len(r.Data))
				t.Equal("0005 header", []byte{0xFF, 0x40, 0x82, 0x00, 0x9F}, r.Data[:min(5, len(r.Data))])
				rec := t.object("text 0005", r.Data)
				for tag, n := range map[uint32]int{0xDF41: 4, 0xDF42: 16, 0xDF43: 128} {
					t.Equal(hexTag(tag)+" length", n, len(t.child("text 0005", rec, tag).Value))
				}
			}},
		{ID: "TEXT-RD-003", Title: "with the text PIN, 0001 reads as FF 10 0C, a valid My Number and FF FF (Le=0x11)", Spec: "§4.2, §6.5",
			Needs: []emulator.FileRef{emulator.TextPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPIN)
				t.SelectEF(emulator.TextMyNumber.FID())
				b := t.Expect("READ BINARY 0001 Le=11", apdu.ReadBinary(0, 0x11), apdu.SWOK).Data
				if len(b) != 17 || !bytes.Equal(b[:3], []byte{0xFF, 0x10, 0x0C}) || !bytes.Equal(b[15:], []byte{0xFF, 0xFF}) {
					t.Fatalf("text 0001 = % X, want FF 10 0C, 12 digits, FF FF", b)
				}
				if !myNumberValid(b[3:15]) {
					t.Errorf("text 0001: the My Number's check digit is wrong")
				}
				if a, ok := t.prof.Secrets[emulator.TextPINA]; ok && !bytes.Equal(a, b[3:15]) {
					t.Errorf("text 0001: the My Number differs from the given 照合番号A")
				}
			}},
		{ID: "TEXT-RD-004", Title: "with the text PIN, 0002 holds FF 20 {DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex}", Spec: "§4.2, §9",
			Needs: []emulator.FileRef{emulator.TextPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPIN)
				rec, _ := t.textAttributes()
				if l := rec.Header[len(rec.Header)-1]; len(rec.Header) == 3 && l < 0x80 {
					// nfcpy and tex2e read one length byte at offset 2 (card.md §9).
					n := t.Expect("READ BINARY 0002 at 2, Le 1", apdu.ReadBinary(2, 1), apdu.SWOK).Data
					t.Equal("length byte at offset 2", []byte{l}, n)
				}
			}},
		{ID: "TEXT-RD-005", Title: "with the text PIN, integrity record 0003 (336 bytes) holds SHA-256 of 0001 (physical) and of 0002's objects", Spec: "§4.2",
			Needs: []emulator.FileRef{emulator.TextPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPIN)
				t.SelectEF(emulator.TextMyNumber.FID())
				myNumber := t.ReadFile()
				rec, _ := t.textAttributes()
				t.SelectEF(emulator.TextIntegrity.FID())
				b := t.ReadAs(styleMyna)
				t.Equal("0003 length", 336, len(b))
				integ := t.object("text 0003", b)
				h1 := sha256.Sum256(myNumber)
				t.Equal("DF31 (SHA-256 of 0001)", h1[:], t.child("text 0003", integ, 0xDF31).Value)
				kids, _ := rec.Children()
				h2 := sha256.Sum256(rec.Value[len(kids[0].Bytes()):])
				t.Equal("DF32 (SHA-256 of 0002 after the offset table)", h2[:], t.child("text 0003", integ, 0xDF32).Value)
				t.Equal("DF33 length", 256, len(t.child("text 0003", integ, 0xDF33).Value))
			}},
		{ID: "TEXT-PIN-401", Title: "key 0012 is blocked on every card: empty VERIFY 63C0 (or 6984)", Spec: "§4.2, §7.2",
			Run: func(t *T) {
				t.Open(emulator.TextBlockedKey)
				t.Check("empty VERIFY of text 0012", apdu.VerifyQuery(apdu.CurrentEF), apdu.RetriesLeft(0), apdu.SWAuthBlocked)
			}},
	}
}

func visualCases() []Case {
	return []Case{
		{ID: "VIS-SEL-001", Title: "SELECT of the visual AP and each of its EFs and key references answers 9000", Spec: "§3, §4.3",
			Run: func(t *T) {
				t.SelectAP(emulator.AppVisual)
				for _, fid := range []uint16{1, 2, 3, 4, 5, 0x11, 0x12, 0x13} {
					t.Check("SELECT", apdu.SelectEF(fid), apdu.SWOK)
				}
			}},
		{ID: "VIS-RD-001", Title: "basic info 0003 is free: FF 30 {DF31 4 B, DF32 16 B, DF33 1 B, DF34 municipality code}", Spec: "§4.3",
			Run: func(t *T) {
				t.Open(emulator.VisualBasicInfo)
				rec := t.object("visual 0003", t.ReadAs(styleMyna))
				t.Equal("visual 0003 tag", uint32(0xFF30), rec.TagNumber())
				for tag, n := range map[uint32]int{0xDF31: 4, 0xDF32: 16, 0xDF33: 1} {
					t.Equal(hexTag(tag)+" length", n, len(t.child("visual 0003", rec, tag).Value))
				}
				if m := t.child("visual 0003", rec, 0xDF34).Value; !digits(m, 5) {
					t.Errorf("DF34 = %q, want a 5-digit municipality code", m)
				}
			}},
		{ID: "VIS-RD-002", Title: "the visual AP's CV certificate 0004 is free: 568 bytes with an RSA-2048 key", Spec: "§4.3",
			Run: func(t *T) { t.cvCert(emulator.VisualCVCert) }},
		{ID: "VIS-RD-003", Title: "with 照合番号B the card face 0002 reads; its offsets, images and signature over three SHA-256 digests check out", Spec: "§4.3, §6.6, §9",
			Needs: []emulator.FileRef{emulator.VisualPINB},
			Run: func(t *T) {
				pub := t.cvCert(emulator.VisualCVCert)
				t.Unlock(emulator.VisualPINB)
				t.SelectEF(emulator.VisualCardFace.FID())
				_, obj := t.offsetRecord("visual 0002", t.ReadAs(styleMyna), 0xFF20, 9)
				for tag := uint32(0xDF22); tag <= 0xDF2A; tag++ {
					if _, ok := obj[tag]; !ok {
						t.Fatalf("visual 0002: no %X object", tag)
					}
				}
				t.dateObject("DF22 (birth date)", obj[0xDF22].Value)
				t.dateObject("DF29 (card expiry)", obj[0xDF29].Value)
				png := []byte{0x89, 'P', 'N', 'G'}
				jp2 := []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' '}
				for tag, magic := range map[uint32][]byte{0xDF25: png, 0xDF26: png, 0xDF2A: png, 0xDF27: jp2} {
					if !bytes.HasPrefix(obj[tag].Value, magic) {
						t.Errorf("visual 0002 %X does not start with % X", tag, magic)
					}
				}
				var digests []byte
				for _, group := range [][]uint32{{0xDF22, 0xDF23, 0xDF24}, {0xDF25, 0xDF26}, {0xDF27}} {
					h := sha256.New()
					for _, tag := range group {
						h.Write(obj[tag].Bytes())
					}
					digests = h.Sum(digests)
				}
				di := append([]byte{0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x60}, digests...)
				if err := rsa.VerifyPKCS1v15(pub, crypto.Hash(0), di, obj[0xDF28].Value); err != nil {
					t.Errorf("visual 0002 signature DF28 does not verify with the key of 0004: %v", err)
				}
			}},
		{ID: "VIS-RD-004", Title: "with 照合番号A the My Number image 0005 reads as FF 40 {DF41 PNG, …}", Spec: "§4.3",
			Needs: []emulator.FileRef{emulator.VisualPINA},
			Run: func(t *T) {
				t.SelectAP(emulator.AppVisual)
				t.Unlock(emulator.VisualPINA)
				t.SelectEF(emulator.VisualMyNumber.FID())
				rec := t.object("visual 0005", t.ReadAs(styleMyna))
				t.Equal("visual 0005 tag", uint32(0xFF40), rec.TagNumber())
				if img := t.child("visual 0005", rec, 0xDF41).Value; !bytes.HasPrefix(img, []byte{0x89, 'P', 'N', 'G'}) {
					t.Errorf("visual 0005 DF41 is not a PNG image")
				}
			}},
		{ID: "VIS-RD-005", Title: "the birth date agrees across visual 0001 (DOB key), visual 0002 (照合番号B) and text 0002 (照合番号B)", Spec: "§4.2, §4.3",
			Needs: []emulator.FileRef{emulator.VisualDOBKey, emulator.VisualPINB, emulator.TextPINB},
			Run: func(t *T) {
				t.SelectAP(emulator.AppVisual)
				t.Unlock(emulator.VisualDOBKey)
				t.SelectEF(emulator.VisualAgeRecord.FID())
				age := t.object("visual 0001", t.ReadAs(styleMyna))
				t.Equal("visual 0001 tag", uint32(0xFF10), age.TagNumber())
				dob := t.child("visual 0001", age, 0xDF11).Value
				t.Unlock(emulator.VisualPINB)
				t.SelectEF(emulator.VisualCardFace.FID())
				_, face := t.offsetRecord("visual 0002", t.ReadAs(styleMyna), 0xFF20, 9)
				t.SelectAP(emulator.AppText)
				t.Unlock(emulator.TextPINB)
				_, text := t.textAttributes()
				t.Equal("visual 0002 DF22 vs visual 0001 DF11", dob, face[0xDF22].Value)
				t.Equal("text 0002 DF24 vs visual 0001 DF11", dob, text[0xDF24].Value)
			}},
	}
}
