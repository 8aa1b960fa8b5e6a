package profile

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"image"
	"image/png"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/pki"
)

var issuedAt = time.Date(2026, 4, 1, 10, 0, 0, 0, pki.JST())

// longPersona has an address over 128 bytes so that text 0002 takes the
// long length form.
func longPersona() Persona {
	p := DefaultPersona()
	p.Address = "北海道札幌市中央区北一条西二丁目試験町字長い名前の番地１２３４番地５６７８号　試験マンション１２３４号室"
	p.Prefecture, p.City, p.MunicipalityCode = "北海道", "札幌市", "01100"
	return p
}

var (
	genOnce  sync.Once
	genState *emulator.State
	genErr   error
)

// generated is one card per test binary: key generation dominates.
func generated(t *testing.T) *emulator.State {
	t.Helper()
	genOnce.Do(func() { genState, genErr = Generate(longPersona(), emulator.KindNormal, issuedAt) })
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genState.Clone()
}

// parse reads the single object at the start of b and returns it and its children.
func parse(t *testing.T, b []byte, tag uint32) (apdu.TLV, map[uint32]apdu.TLV) {
	t.Helper()
	obj, _, err := apdu.ParseBER(b)
	if err != nil {
		t.Fatalf("%X: %v", tag, err)
	}
	if obj.TagNumber() != tag {
		t.Fatalf("tag %X, want %X", obj.TagNumber(), tag)
	}
	kids, err := apdu.ParseAllBER(obj.Value)
	if err != nil {
		t.Fatalf("%X children: %v", tag, err)
	}
	m := map[uint32]apdu.TLV{}
	for _, k := range kids {
		m[k.TagNumber()] = k
	}
	return obj, m
}

func publicKey(t *testing.T, b []byte) *rsa.PublicKey {
	t.Helper()
	kids, err := apdu.ParseAllBER(b)
	if err != nil || len(kids) != 2 || kids[0].TagNumber() != 0x90 || kids[1].TagNumber() != 0x91 || len(kids[1].Value) != 256 {
		t.Fatalf("not a 90/91 RSA-2048 key: % X… (%v)", b[:min(len(b), 12)], err)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(kids[1].Value), E: int(new(big.Int).SetBytes(kids[0].Value).Int64())}
}

func verifySHA256(t *testing.T, what string, pub *rsa.PublicKey, data, sig []byte) {
	t.Helper()
	h := sha256.Sum256(data)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("%s: signature does not verify: %v", what, err)
	}
}

func cardKey(t *testing.T, s *emulator.State, ref emulator.FileRef) *rsa.PrivateKey {
	t.Helper()
	k, err := pki.ParseKey(s.Keys[ref])
	if err != nil {
		t.Fatalf("key %v: %v", ref, err)
	}
	return k
}

// cvKey checks a 568-byte CV certificate against the CV root and returns the key it certifies.
func cvKey(t *testing.T, b []byte, issuer []byte) *rsa.PublicKey {
	t.Helper()
	if len(b) != 568 || !bytes.HasPrefix(b, []byte{0x7F, 0x21, 0x82, 0x02, 0x33}) {
		t.Fatalf("CV certificate: %d bytes, header % X", len(b), b[:5])
	}
	_, kids := parse(t, b, 0x7F21)
	body, sig := kids[0x5F4E], kids[0x5F37]
	if !bytes.Equal(body.Header, []byte{0x5F, 0x4E, 0x82, 0x01, 0x29}) || !bytes.Equal(sig.Header, []byte{0x5F, 0x37, 0x82, 0x01, 0x00}) {
		t.Errorf("CV certificate headers % X / % X", body.Header, sig.Header)
	}
	if !bytes.Equal(body.Value[:16], issuer) || !bytes.Equal(body.Value[16:32], dataKeyID("01100")) {
		t.Errorf("CV key ids % X / % X", body.Value[:16], body.Value[16:32])
	}
	root, err := CVRootPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	verifySHA256(t, "CV certificate", root, body.Value, sig.Value)
	return publicKey(t, body.Value[32:])
}

// checkOffsets checks an offset table against where each object really starts.
func checkOffsets(t *testing.T, file []byte, outer apdu.TLV, tableTag uint32, n int) []apdu.TLV {
	t.Helper()
	kids, err := apdu.ParseAllBER(outer.Value)
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != n+1 || kids[0].TagNumber() != tableTag || len(kids[0].Value) != 2*n {
		t.Fatalf("%d objects, first %X with %d bytes; want table %X of %d entries and %d objects", len(kids), kids[0].TagNumber(), len(kids[0].Value), tableTag, n, n)
	}
	pos := len(outer.Header) + len(kids[0].Bytes())
	for i, k := range kids[1:] {
		if got := int(binary.BigEndian.Uint16(kids[0].Value[2*i:])); got != pos {
			t.Errorf("offset %d (%X) = %d, object is at %d", i, k.TagNumber(), got, pos)
		}
		if !bytes.Equal(file[pos:pos+len(k.Header)], k.Header) {
			t.Errorf("offset %d does not point at %X", i, k.TagNumber())
		}
		pos += len(k.Bytes())
	}
	return kids[1:]
}

func decodePNG(t *testing.T, what string, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return img
}

func TestGeneratedJPKI(t *testing.T) {
	s := generated(t)
	p := longPersona()
	f := s.Files
	authCA, err := pki.LoadCA(pki.Auth, s.Issuer.AuthCACert, s.Issuer.AuthCAKey)
	if err != nil {
		t.Fatal(err)
	}
	signCA, err := pki.LoadCA(pki.Sign, s.Issuer.SignCACert, s.Issuer.SignCAKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f[emulator.JPKIAuthCACert], s.Issuer.AuthCACert) || !bytes.Equal(f[emulator.JPKISignCACert], s.Issuer.SignCACert) {
		t.Error("CA certificate EFs differ from the issuer's")
	}
	for _, c := range []struct {
		ref emulator.FileRef
		ca  *pki.CA
		key emulator.FileRef
	}{
		{emulator.JPKIAuthCert, authCA, emulator.JPKIAuthKey},
		{emulator.JPKISignCert, signCA, emulator.JPKISignKey},
	} {
		der := f[c.ref]
		if der[0] != 0x30 || der[1] != 0x82 || int(binary.BigEndian.Uint16(der[2:]))+4 != len(der) {
			t.Errorf("%v does not start 30 82 LL LL with the file's length (OpenSC's probe)", c.ref)
		}
		cert, err := c.ca.Verify(der, issuedAt.Add(time.Hour))
		if err != nil {
			t.Errorf("%v: %v", c.ref, err)
			continue
		}
		if !cert.PublicKey.(*rsa.PublicKey).Equal(&cardKey(t, s, c.key).PublicKey) {
			t.Errorf("%v does not certify key %v", c.ref, c.key)
		}
	}
	sign, _ := x509.ParseCertificate(f[emulator.JPKISignCert])
	names, err := pki.ParseAltNames(sign)
	if err != nil || names[0].Value != p.Name || names[3].Value != p.Address {
		t.Errorf("sign certificate alt names %v (%v)", names, err)
	}

	tok := f[emulator.JPKIToken]
	if len(tok) != 160 || string(tok[:32]) != "JPKIAPICCTOKEN2"+strings.Repeat(" ", 17) ||
		string(tok[64:80]) != "E16R01NJ        " || binary.BigEndian.Uint32(tok[96:]) != 0x40D ||
		binary.BigEndian.Uint32(tok[116:]) != 16 || binary.BigEndian.Uint32(tok[120:]) != 6 || string(tok[140:144]) != "0301" {
		t.Errorf("token info:\n% X", tok)
	}
	if !bytes.Equal(f[emulator.JPKICertStatus], []byte{0x8F, 0x8F, 0x00}) {
		t.Errorf("0008 = % X", f[emulator.JPKICertStatus])
	}
	if want, _ := DefaultChip.Spec(); s.Chip != string(DefaultChip) || !bytes.Equal(s.ATR, want.ATR) {
		t.Errorf("chip %q ATR % X, want %s", s.Chip, s.ATR, DefaultChip)
	}
}

func TestGeneratedText(t *testing.T) {
	s := generated(t)
	p := longPersona()
	f := s.Files
	text := func(fid uint16) []byte { return f[emulator.Ref(emulator.AppText, fid)] }

	myNumber := text(1)
	if want := append(append([]byte{0xFF, 0x10, 0x0C}, p.MyNumber...), 0xFF, 0xFF); !bytes.Equal(myNumber, want) {
		t.Errorf("0001 = % X, want % X", myNumber, want)
	}

	attrsFile := text(2)
	outer, _ := parse(t, attrsFile, 0xFF20)
	if !bytes.Equal(outer.Header, []byte{0xFF, 0x20, 0x82, byte(len(outer.Value) >> 8), byte(len(outer.Value))}) {
		t.Errorf("0002 header % X: want the 82 HH LL form for %d bytes", outer.Header, len(outer.Value))
	}
	attrs := checkOffsets(t, attrsFile, outer, 0xDF21, 4)
	got := map[uint32]string{}
	for _, a := range attrs {
		got[a.TagNumber()] = string(a.Value)
	}
	want := map[uint32]string{0xDF22: p.Name, 0xDF23: p.Address, 0xDF24: "19800217", 0xDF25: "2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("0002 (-want +got):\n%s", diff)
	}

	integ := text(3)
	if len(integ) != 336 || !bytes.HasPrefix(integ, []byte{0xFF, 0x30, 0x82, 0x01, 0x4B}) {
		t.Fatalf("0003: %d bytes, header % X", len(integ), integ[:5])
	}
	_, ik := parse(t, integ, 0xFF30)
	sum1 := sha256.Sum256(myNumber)
	var afterTable []byte
	for _, a := range attrs {
		afterTable = append(afterTable, a.Bytes()...)
	}
	sum2 := sha256.Sum256(afterTable)
	if !bytes.Equal(ik[0xDF31].Value, sum1[:]) || !bytes.Equal(ik[0xDF32].Value, sum2[:]) {
		t.Error("0003 digests do not match 0001 and 0002")
	}
	dataKey := cvKey(t, text(4), textCVIssuer)
	verifySHA256(t, "0003", dataKey, append(ik[0xDF31].Bytes(), ik[0xDF32].Bytes()...), ik[0xDF33].Value)

	basic := text(5)
	if len(basic) != 256 || !bytes.HasPrefix(basic, []byte{0xFF, 0x40, 0x82, 0x00, 0x9F, 0xDF, 0x41, 0x04, 0x01, 0x03, 0x0E, 0x01}) {
		t.Errorf("0005: %d bytes, starts % X", len(basic), basic[:12])
	}
	_, bk := parse(t, basic, 0xFF40)
	if !bytes.Equal(bk[0xDF43].Header, []byte{0xDF, 0x43, 0x82, 0x00, 0x80}) || !bytes.Equal(bk[0xDF43].Value[32:], bytes.Repeat([]byte{0xFF}, 96)) {
		t.Errorf("0005 DF43 header % X", bk[0xDF43].Header)
	}
	if !bytes.Equal(basic[164:], bytes.Repeat([]byte{0xFF}, 92)) {
		t.Error("0005 not padded with FF to 256 bytes")
	}

	sm, _ := parse(t, text(6), 0xA1)
	publicKey(t, sm.Value)

	spk := text(7)
	if !bytes.HasPrefix(spk, []byte{0xFF, 0x50, 0x82, 0x02, 0x13}) || len(spk) != 0x213+5 {
		t.Errorf("0007 header % X, %d bytes", spk[:5], len(spk))
	}
	_, sk := parse(t, spk, 0xFF50)
	if !publicKey(t, sk[0xDF51].Value).Equal(&cardKey(t, s, emulator.TextAPKey).PublicKey) {
		t.Error("0007 DF51 is not the text AP key 0013")
	}
	verifySHA256(t, "0007", dataKey, sk[0xDF51].Bytes(), sk[0xDF52].Value)

	if !bytes.Equal(text(8), bytes.Repeat([]byte{0xFF}, 16)) {
		t.Errorf("0008 = % X", text(8))
	}
}

func TestGeneratedVisual(t *testing.T) {
	s := generated(t)
	p := longPersona()
	visual := func(fid uint16) []byte { return s.Files[emulator.Ref(emulator.AppVisual, fid)] }
	apKey := &cardKey(t, s, emulator.VisualAPKey).PublicKey
	dataKey := cvKey(t, visual(4), visualCVIssuer)
	if !dataKey.Equal(cvKey(t, s.Files[emulator.TextCVCert], textCVIssuer)) {
		t.Error("text and visual CV certificates certify different keys")
	}

	age := visual(1)
	if len(age) != 0x21E+5 || !bytes.HasPrefix(age, []byte{0xFF, 0x10, 0x82, 0x02, 0x1E, 0xDF, 0x11, 0x08}) {
		t.Errorf("0001: %d bytes, starts % X", len(age), age[:8])
	}
	_, ak := parse(t, age, 0xFF10)
	if string(ak[0xDF11].Value) != "19800217" || !publicKey(t, ak[0xDF12].Value).Equal(apKey) {
		t.Error("0001 DOB or key wrong")
	}
	verifySHA256(t, "0001", dataKey, append(ak[0xDF11].Bytes(), ak[0xDF12].Bytes()...), ak[0xDF13].Value)

	faceFile := visual(2)
	if len(faceFile) >= 1<<15 {
		t.Errorf("0002 is %d bytes: beyond a 15-bit offset", len(faceFile))
	}
	outer, _ := parse(t, faceFile, 0xFF20)
	objs := checkOffsets(t, faceFile, outer, 0xDF21, 9)
	for i, o := range objs {
		if o.TagNumber() != uint32(0xDF22+i) {
			t.Fatalf("object %d is %X, want %X", i, o.TagNumber(), 0xDF22+i)
		}
	}
	if string(objs[0].Value) != "19800217" || string(objs[1].Value) != "2" || string(objs[7].Value) != "20350217" || !publicKey(t, objs[2].Value).Equal(apKey) {
		t.Error("0002 DOB, sex, key or expiry wrong")
	}
	group := func(os ...apdu.TLV) []byte {
		var b []byte
		for _, o := range os {
			b = append(b, o.Bytes()...)
		}
		h := sha256.Sum256(b)
		return h[:]
	}
	digestInfo := append([]byte{0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x60},
		append(append(group(objs[0:3]...), group(objs[3:5]...)...), group(objs[5])...)...)
	if err := rsa.VerifyPKCS1v15(dataKey, crypto.Hash(0), digestInfo, objs[6].Value); err != nil {
		t.Errorf("0002 DF28 does not verify over the three digests: %v", err)
	}
	for i, name := range []string{"name", "address"} {
		pal, ok := decodePNG(t, name, objs[3+i].Value).(*image.Paletted)
		if !ok || len(pal.Palette) != 2 {
			t.Errorf("%s image is not a 2-colour (1-bit) palette", name)
		}
	}
	checkJP2Greyscale(t, objs[5].Value)
	if b := decodePNG(t, "security code", objs[8].Value).Bounds(); b.Dx() != 24 || b.Dy() != 12 {
		t.Errorf("security code image %v, want 24×12", b)
	}

	_, bk := parse(t, visual(3), 0xFF30)
	if string(bk[0xDF34].Value) != p.MunicipalityCode || !bytes.Equal(bk[0xDF31].Value, []byte{0x06, 0x03, 0x0E, 0x01}) || len(bk[0xDF35].Value) != 16+256 {
		t.Errorf("0003 municipality %q, id % X, DF35 %d bytes", bk[0xDF34].Value, bk[0xDF31].Value, len(bk[0xDF35].Value))
	}

	_, mk := parse(t, visual(5), 0xFF40)
	if b := decodePNG(t, "My Number", mk[0xDF41].Value).Bounds(); b.Dx() != 72 || b.Dy() != 12 {
		t.Errorf("My Number image %v, want 72×12", b)
	}
	if !publicKey(t, mk[0xDF42].Value).Equal(apKey) {
		t.Error("0005 key is not the visual AP key")
	}
	verifySHA256(t, "0005", dataKey, append(mk[0xDF41].Bytes(), mk[0xDF42].Bytes()...), mk[0xDF43].Value)

	if !bytes.Equal(visual(6), bytes.Repeat([]byte{0xFF}, 16)) {
		t.Errorf("0006 = % X", visual(6))
	}
}

func TestGeneratedRecordsAndSecrets(t *testing.T) {
	s := generated(t)
	p := longPersona()
	rec, rest, err := apdu.ParseSimpleTLV(s.Files[emulator.CommonSerial])
	if err != nil || len(rest) != 0 || rec.Tag != 0x01 || len(rec.Value) != 28 {
		t.Fatalf("common 0001: %+v rest %d, %v", rec, len(rest), err)
	}
	if string(rec.Value[15:]) != "0110020350217" || !digits(string(rec.Value[:15]), 15) {
		t.Errorf("common 0001 = %q: want serial(15) + 01100 + 20350217", rec.Value)
	}
	for _, app := range []emulator.App{emulator.AppJuki, emulator.AppCommon} {
		b := s.Files[emulator.Ref(app, 0x0002)]
		if r, rest, err := apdu.ParseSimpleTLV(b); err != nil || len(r.Value) != 16 || len(rest) != 0 {
			t.Errorf("%v 0002: % X (%v)", app, b, err)
		}
	}

	tries := emulator.DefaultSettings().CollationTries
	for ref, want := range map[emulator.FileRef]struct {
		value string
		max   int
	}{
		emulator.JPKIAuthPIN:      {"1234", 3},
		emulator.JPKISignPassword: {"ABC123", 5},
		emulator.TextPIN:          {"1234", 3},
		emulator.TextPINA:         {p.MyNumber, tries},
		emulator.TextPINB:         {"55021720352285", tries},
		emulator.VisualDOBKey:     {"550217", tries},
		emulator.VisualPINB:       {"55021720352285", tries},
		emulator.VisualPINA:       {p.MyNumber, tries},
		emulator.JukiPIN:          {"1234", 3},
		emulator.CommonPIN:        {"1234", 3},
	} {
		got := s.PINs[ref]
		if got == nil || string(got.Value) != want.value || got.Max != want.max || got.Remaining != want.max {
			t.Errorf("%v = %+v, want value %q with %d/%d tries", ref, got, want.value, want.max, want.max)
		}
	}
	if b := s.PINs[emulator.TextBlockedKey]; b == nil || !b.Blocked() {
		t.Error("text 0012 is not blocked")
	}
	for _, ref := range []emulator.FileRef{emulator.JPKIAuthKey, emulator.JPKISignKey, emulator.TextAPKey, emulator.VisualAPKey, emulator.CommonIAKey} {
		if k := cardKey(t, s, ref); k.N.BitLen() != 2048 {
			t.Errorf("%v: %d bits", ref, k.N.BitLen())
		}
	}
	if _, err := emulator.New(s); err != nil {
		t.Errorf("emulator refuses the generated card: %v", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	s := generated(t)
	path := filepath.Join(t.TempDir(), "card.json")
	if err := cardfile.Save(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := cardfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", diff)
	}
}

func TestGenerateExpired(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name string
		get  func() (*emulator.State, error)
	}{
		{"Default", func() (*emulator.State, error) { return Default(emulator.KindExpiredCerts) }},
		{"re-issued", func() (*emulator.State, error) {
			s := generated(t)
			return s, apply(s, emulator.KindExpiredCerts, longPersona(), now)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.get()
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range []emulator.FileRef{emulator.JPKIAuthCert, emulator.JPKISignCert} {
				c, err := x509.ParseCertificate(s.Files[ref])
				if err != nil {
					t.Fatal(err)
				}
				if !c.NotAfter.Before(now) {
					t.Errorf("%v valid until %v: not expired", ref, c.NotAfter)
				}
				ca, _ := x509.ParseCertificate(s.Files[map[emulator.FileRef]emulator.FileRef{
					emulator.JPKIAuthCert: emulator.JPKIAuthCACert, emulator.JPKISignCert: emulator.JPKISignCACert}[ref]])
				if !ca.NotBefore.Before(c.NotBefore) {
					t.Errorf("%v issued %v, before its CA (%v)", ref, c.NotBefore, ca.NotBefore)
				}
				if err := c.CheckSignatureFrom(ca); err != nil {
					t.Errorf("%v: %v", ref, err)
				}
				if !c.PublicKey.(*rsa.PublicKey).Equal(&cardKey(t, s, emulator.JPKIAuthKey).PublicKey) && ref == emulator.JPKIAuthCert {
					t.Errorf("%v certifies another key", ref)
				}
			}
			authCA, _ := x509.ParseCertificate(s.Files[emulator.JPKIAuthCACert])
			if now.After(authCA.NotAfter) {
				t.Error("the CA expired too; only the card's certificates should")
			}
			if _, err := emulator.New(s); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestIssueSignCert(t *testing.T) {
	s, err := Default(emulator.KindNoSignCert)
	if err != nil {
		t.Fatal(err)
	}
	if err := IssueSignCert(s, emulator.Secret("abc"), issuedAt); err == nil {
		t.Error("a malformed password was accepted")
	}
	if err := IssueSignCert(s, emulator.Secret("NEWPASS9"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if s.Kind != emulator.KindNormal || s.Files[emulator.JPKICertStatus][0] != 0x8F || string(s.PINs[emulator.JPKISignPassword].Value) != "NEWPASS9" {
		t.Errorf("kind %q, 0008 % X", s.Kind, s.Files[emulator.JPKICertStatus])
	}
	ca, err := pki.LoadCA(pki.Sign, s.Issuer.SignCACert, s.Issuer.SignCAKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Verify(s.Files[emulator.JPKISignCert], time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !cert.PublicKey.(*rsa.PublicKey).Equal(&cardKey(t, s, emulator.JPKISignKey).PublicKey) {
		t.Error("new certificate does not certify the new key")
	}
}

// checkJP2Greyscale checks the photo is a JP2 file (signature box, then an
// image header box) with one component, i.e. greyscale (card.md §4.3).
func checkJP2Greyscale(t *testing.T, b []byte) {
	t.Helper()
	sig := []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A}
	if !bytes.HasPrefix(b, sig) {
		t.Fatalf("photo does not start with the JP2 signature box: % X", b[:min(len(b), 12)])
	}
	i := bytes.Index(b, []byte("ihdr"))
	if i < 0 || len(b) < i+4+11 {
		t.Fatal("photo has no JP2 image header box")
	}
	hdr := b[i+4:]
	height, width := binary.BigEndian.Uint32(hdr), binary.BigEndian.Uint32(hdr[4:])
	if comps := binary.BigEndian.Uint16(hdr[8:]); comps != 1 {
		t.Errorf("photo has %d components, want 1 (greyscale)", comps)
	}
	if width == 0 || height == 0 || len(b) >= 32<<10 {
		t.Errorf("photo %d×%d, %d bytes; want a picture under 32 KiB", width, height, len(b))
	}
}
