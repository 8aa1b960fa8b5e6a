package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"
)

// Test cards. Engineer B's profile package makes real ones; these tests
// need only plausible contents with card.md's shapes, built from keys
// generated once per test binary.

// Secrets of the test card.
var (
	testAuthPIN   = Secret("1234")
	testSignPass  = Secret("ABC123")
	testTextPIN   = Secret("2345")
	testJukiPIN   = Secret("3456")
	testCommonPIN = Secret("4567")
	testMyNumber  = Secret("123456789018")
	testPINB      = Secret("55021720352285")
	testDOB       = Secret("550217")
)

var testKeys struct {
	once                           sync.Once
	auth, sign, text, visual, comm *rsa.PrivateKey
	der                            map[*rsa.PrivateKey][]byte
}

func loadTestKeys() {
	testKeys.once.Do(func() {
		testKeys.der = map[*rsa.PrivateKey][]byte{}
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			d, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				panic(err)
			}
			testKeys.der[k] = d
			return k
		}
		testKeys.auth, testKeys.sign, testKeys.text, testKeys.visual, testKeys.comm = gen(), gen(), gen(), gen(), gen()
	})
}

// testCert makes a self-signed certificate for k with common name cn.
func testCert(k *rsa.PrivateKey, cn string) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{Country: []string{"JP"}, Organization: []string{"JPKI-TEST"}, CommonName: cn},
		NotBefore:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	d, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	return d
}

func fill(n int, b byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func pattern(n int, seed byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = seed + byte(i*7)
	}
	return out
}

var testStateOnce struct {
	sync.Once
	s *State
}

// NewTestState returns a fresh normal card with every EF of card.md §4.
func NewTestState(tb testing.TB) *State {
	tb.Helper()
	testStateOnce.Do(func() { testStateOnce.s = buildTestState() })
	return testStateOnce.s.Clone()
}

func buildTestState() *State {
	loadTestKeys()
	k := &testKeys
	token := fill(160, 0x20)
	copy(token, "JPKIAPICCTOKEN2")
	myNumber := append(append([]byte{0xFF, 0x10, 0x0C}, testMyNumber...), 0xFF, 0xFF)
	serial := append([]byte{0x01, 0x1C}, "123456789012345"+"13101"+"20350217"...)
	st := DefaultSettings()
	pin := func(ref FileRef, v Secret) *PIN {
		m := MaxTries(ref, st)
		return &PIN{Value: v, Max: m, Remaining: m}
	}
	return &State{
		FormatVersion: FormatVersion,
		Kind:          KindNormal,
		Holder: Holder{
			Name: "番号　花子", Address: "東京都千代田区", BirthDate: time.Date(1980, 2, 17, 0, 0, 0, 0, time.UTC),
			Sex: "2", MyNumber: string(testMyNumber), CardExpiry: time.Date(2035, 2, 17, 0, 0, 0, 0, time.UTC),
			SecurityCode: "2285", MunicipalityCode: "13101", Prefecture: "東京都", City: "千代田区",
		},
		Settings: st,
		ATR:      []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14},
		Files: map[FileRef][]byte{
			JPKISignCert:           testCert(k.sign, "sign"),
			JPKISignCACert:         testCert(k.visual, "sign CA"),
			JPKIToken:              token,
			JPKICertStatus:         {0x8F, 0x8F, 0x00},
			JPKIAuthCert:           testCert(k.auth, "auth"),
			Ref(AppJPKI, 9):        pattern(32, 13),
			JPKIAuthCACert:         testCert(k.text, "auth CA"),
			TextMyNumber:           myNumber,
			TextAttributes:         append([]byte{0xFF, 0x20, 0x20}, pattern(0x20, 1)...),
			TextIntegrity:          append([]byte{0xFF, 0x30, 0x82, 0x01, 0x4B}, pattern(0x14B, 2)...),
			TextCVCert:             append([]byte{0x7F, 0x21, 0x82, 0x02, 0x33}, pattern(0x233, 3)...),
			TextBasicInfo:          append(append([]byte{0xFF, 0x40, 0x82, 0x00, 0x9F}, pattern(0x9F, 4)...), fill(256-164, 0xFF)...),
			Ref(AppText, 0x0006):   append([]byte{0xA1, 0x08}, pattern(8, 5)...),
			Ref(AppText, 0x0007):   append([]byte{0xFF, 0x50, 0x08}, pattern(8, 6)...),
			Ref(AppText, 0x0008):   fill(16, 0xFF),
			VisualAgeRecord:        append([]byte{0xFF, 0x10, 0x0A, 0xDF, 0x11, 0x08}, "19800217"...),
			VisualCardFace:         append([]byte{0xFF, 0x20, 0x82, 0x03, 0x00}, pattern(0x300, 7)...),
			VisualBasicInfo:        append([]byte{0xFF, 0x30, 0x10}, pattern(0x10, 8)...),
			VisualCVCert:           append([]byte{0x7F, 0x21, 0x82, 0x02, 0x33}, pattern(0x233, 9)...),
			VisualMyNumber:         append([]byte{0xFF, 0x40, 0x10}, pattern(0x10, 10)...),
			Ref(AppVisual, 0x0006): fill(16, 0xFF),
			Ref(AppJuki, 0x0002):   append([]byte{0x01, 0x10}, pattern(16, 11)...),
			CommonSerial:           serial,
			Ref(AppCommon, 0x0002): append([]byte{0x01, 0x10}, pattern(16, 12)...),
		},
		Keys: map[FileRef][]byte{
			JPKIAuthKey: k.der[k.auth],
			JPKISignKey: k.der[k.sign],
			TextAPKey:   k.der[k.text],
			VisualAPKey: k.der[k.visual],
			CommonIAKey: k.der[k.comm],
		},
		PINs: map[FileRef]*PIN{
			JPKIAuthPIN:      pin(JPKIAuthPIN, testAuthPIN),
			JPKISignPassword: pin(JPKISignPassword, testSignPass),
			TextPIN:          pin(TextPIN, testTextPIN),
			TextBlockedKey:   {Max: 3, Remaining: 0},
			TextPINA:         pin(TextPINA, testMyNumber),
			TextPINB:         pin(TextPINB, testPINB),
			VisualDOBKey:     pin(VisualDOBKey, testDOB),
			VisualPINB:       pin(VisualPINB, testPINB),
			VisualPINA:       pin(VisualPINA, testMyNumber),
			JukiPIN:          pin(JukiPIN, testJukiPIN),
			CommonPIN:        pin(CommonPIN, testCommonPIN),
		},
	}
}
