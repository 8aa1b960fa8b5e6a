package emulator_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// An independent terminal for the text AP's secure messaging, written from
// card.md §4.2 and myna-card's description of the wire format with nothing
// but crypto/aes and crypto/rsa: it shares no SM code with the card.
type smTerminal struct {
	t     *testing.T
	card  *emulator.Card
	block cipher.Block
	n     uint32 // counter of the next SM command
}

// raw sends hex-free bytes and splits the response.
func raw(t *testing.T, c *emulator.Card, b []byte) ([]byte, apdu.SW) {
	t.Helper()
	r := c.Transmit(b)
	return r[:len(r)-2], apdu.SW(binary.BigEndian.Uint16(r[len(r)-2:]))
}

func plain(t *testing.T, c *emulator.Card, cmd apdu.Command, want apdu.SW) []byte {
	t.Helper()
	data, sw := raw(t, c, cmd.Bytes())
	if sw != want {
		t.Fatalf("% X: SW %v, want %v", cmd.Bytes(), sw, want)
	}
	return data
}

func (s *smTerminal) iv(n uint32) []byte {
	iv := make([]byte, 16)
	binary.BigEndian.PutUint32(iv[12:], n)
	s.block.Encrypt(iv, iv)
	return iv
}

func (s *smTerminal) encrypt(n uint32, p []byte) []byte {
	padded := append(append([]byte{}, p...), 0x80)
	for len(padded)%16 != 0 {
		padded = append(padded, 0)
	}
	cipher.NewCBCEncrypter(s.block, s.iv(n)).CryptBlocks(padded, padded)
	return padded
}

// do86 is 86 L 01 || cryptogram (short length: commands carry ≤ 1 block).
func (s *smTerminal) do86(n uint32, p []byte) []byte {
	ct := s.encrypt(n, p)
	return append([]byte{0x86, byte(len(ct) + 1), 0x01}, ct...)
}

// send transmits header+body with an extended Lc (and Le 0000 if le) and
// advances the counter as the card does.
func (s *smTerminal) send(cla, ins, p1, p2 byte, body []byte, le bool) ([]byte, apdu.SW, uint32) {
	b := []byte{cla, ins, p1, p2, 0x00, byte(len(body) >> 8), byte(len(body))}
	b = append(b, body...)
	if le {
		b = append(b, 0x00, 0x00)
	}
	n := s.n
	s.n++
	data, sw := raw(s.t, s.card, b)
	return data, sw, n
}

func (s *smTerminal) decrypt(n uint32, resp []byte) []byte {
	s.t.Helper()
	if len(resp) < 3 || resp[0] != 0x86 {
		s.t.Fatalf("response % X is not a DO 86", resp)
	}
	l, v := int(resp[1]), resp[2:]
	switch resp[1] {
	case 0x81:
		l, v = int(resp[2]), resp[3:]
	case 0x82:
		l, v = int(resp[2])<<8|int(resp[3]), resp[4:]
	}
	if l != len(v) || v[0] != 0x01 || (l-1)%16 != 0 {
		s.t.Fatalf("DO 86 length %d, value % X…", l, v[:1])
	}
	out := append([]byte{}, v[1:]...)
	cipher.NewCBCDecrypter(s.block, s.iv(n)).CryptBlocks(out, out)
	i := bytes.LastIndexByte(out, 0x80)
	if i < 0 || len(out)-i > 16 || !bytes.Equal(out[i+1:], make([]byte, len(out)-i-1)) {
		s.t.Fatalf("no 80 00… padding in % X", out)
	}
	return out[:i]
}

// readEF selects fid and reads it whole, both under SM.
func (s *smTerminal) readEF(fid uint16) []byte {
	s.t.Helper()
	if _, sw, _ := s.send(0x08, 0xA4, 0x02, 0x0C, s.do86(s.n, []byte{byte(fid >> 8), byte(fid)}), false); sw != apdu.SWOK {
		s.t.Fatalf("SM SELECT %04X: %v", fid, sw)
	}
	data, sw, n := s.send(0x08, 0xB0, 0x00, 0x00, []byte{0x96, 0x03, 0x00, 0x00, 0x00}, true)
	if sw != apdu.SWOK {
		s.t.Fatalf("SM READ BINARY %04X: %v", fid, sw)
	}
	return s.decrypt(n, data)
}

// sessionKey parses text EF 0006, A1 { 90 e, 91 n }.
func sessionKey(t *testing.T, ef []byte) *rsa.PublicKey {
	t.Helper()
	outer, _, err := apdu.ParseBER(ef)
	if err != nil || outer.Tag[0] != 0xA1 {
		t.Fatalf("EF 0006 % X…: %v", ef[:4], err)
	}
	e, ok1 := outer.Find(0x90)
	n, ok2 := outer.Find(0x91)
	if !ok1 || !ok2 {
		t.Fatal("EF 0006 lacks 90 or 91")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n.Value), E: int(new(big.Int).SetBytes(e.Value).Int64())}
}

func setSessionKey(c *emulator.Card, t *testing.T, cryptogram []byte) apdu.SW {
	_, sw := raw(t, c, append([]byte{0x80, 0xAE, 0x00, 0x00, 0x00, byte(len(cryptogram) >> 8), byte(len(cryptogram))}, cryptogram...))
	return sw
}

func oaep(t *testing.T, pub *rsa.PublicKey, msg []byte) []byte {
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// TestSecureMessaging opens a session as card.md §4.2 describes, reads
// My Number and the basic 4 attributes under SM and compares them with the
// plain reads, then walks the refusals and the counter rules.
func TestSecureMessaging(t *testing.T) {
	s, err := profile.Default(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(s)
	if err != nil {
		t.Fatal(err)
	}
	p := profile.DefaultPersona()
	ok := apdu.SWOK
	textAID := emulator.AppText.AID()
	plain(t, c, apdu.SelectAID(textAID), ok)

	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		t.Fatal(err)
	}
	delivery := append([]byte{0xA0, 0x22, 0x80, 0x20}, seed...)
	pub := sessionKey(t, s.Files[emulator.TextSMKey])

	// Refusals before the PIN: nothing verified, then only 照合番号A.
	if sw := setSessionKey(c, t, oaep(t, pub, delivery)); sw != apdu.SWSecurityNotSatisfied {
		t.Errorf("SET SESSION KEY without PIN: %v, want 6982", sw)
	}
	plain(t, c, apdu.Verify(apdu.KeyRef(0x0014), []byte(p.MyNumber)), ok)
	if sw := setSessionKey(c, t, oaep(t, pub, delivery)); sw != apdu.SWSecurityNotSatisfied {
		t.Errorf("SET SESSION KEY after 照合番号A only: %v, want 6982", sw)
	}
	plain(t, c, apdu.Verify(apdu.KeyRef(0x0011), []byte(p.TextPIN)), ok)
	if got := sessionKey(t, readPlain(t, c, 0x0006)); !got.Equal(pub) {
		t.Fatal("EF 0006 read on the card differs from the card file")
	}
	wantMyNumber, wantAttrs := readPlain(t, c, 0x0001), readPlain(t, c, 0x0002)

	// Keys that do not decrypt, and structures the AP does not take.
	other := x509PublicKey(t, s.Files[emulator.JPKIAuthCert])
	wrong := oaep(t, other, delivery)
	wantWrong := apdu.SWWrongData
	if new(big.Int).SetBytes(wrong).Cmp(pub.N) >= 0 {
		wantWrong = apdu.SWUnknown
	}
	for _, tc := range []struct {
		name       string
		cryptogram []byte
		want       apdu.SW
	}{
		{"another key", wrong, wantWrong},
		{"not a cryptogram", make([]byte, 256), apdu.SWWrongData},
		{"at or above the modulus", bytes.Repeat([]byte{0xFF}, 256), apdu.SWUnknown},
		{"the modulus itself", pub.N.FillBytes(make([]byte, 256)), apdu.SWUnknown},
		{"CCS key only (81)", oaep(t, pub, append([]byte{0xA0, 0x22, 0x81, 0x20}, seed...)), apdu.SWWrongData},
		{"both keys (80, 81)", oaep(t, pub, append(append(append([]byte{0xA0, 0x44, 0x80, 0x20}, seed...), 0x81, 0x20), seed...)), apdu.SWWrongData},
		{"short seed", oaep(t, pub, []byte{0xA0, 0x12, 0x80, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}), apdu.SWWrongData},
		{"wrong length", make([]byte, 255), apdu.SWWrongLength},
	} {
		if sw := setSessionKey(c, t, tc.cryptogram); sw != tc.want {
			t.Errorf("SET SESSION KEY, %s: %v, want %v", tc.name, sw, tc.want)
		}
	}
	// No session was opened by those.
	if _, sw := raw(t, c, []byte{0x08, 0xB0, 0x00, 0x00, 0x05, 0x96, 0x03, 0x00, 0x00, 0x00, 0x00}); sw != apdu.SWSMError {
		t.Errorf("SM READ BINARY without a session: %v, want 69FC", sw)
	}

	block, err := aes.NewCipher(seed[:16])
	if err != nil {
		t.Fatal(err)
	}
	term := &smTerminal{t: t, card: c, block: block, n: 1}
	if sw := setSessionKey(c, t, oaep(t, pub, delivery)); sw != ok {
		t.Fatalf("SET SESSION KEY: %v", sw)
	}
	if diff := cmp.Diff(wantMyNumber, term.readEF(0x0001)); diff != "" {
		t.Errorf("My Number under SM (-plain +SM):\n%s", diff)
	}
	// A plain command between SM ones neither advances nor ends the session.
	plain(t, c, apdu.GetChallenge(8), ok)
	if diff := cmp.Diff(wantAttrs, term.readEF(0x0002)); diff != "" {
		t.Errorf("basic 4 attributes under SM (-plain +SM):\n%s", diff)
	}
	// Le in DO 96 cuts the answer; a read past the end answers 6B00 plain.
	data, sw, n := term.send(0x08, 0xB0, 0x00, 0x03, []byte{0x96, 0x03, 0x00, 0x00, 0x05}, true)
	if sw != ok || !bytes.Equal(term.decrypt(n, data), wantAttrs[3:8]) {
		t.Errorf("SM READ BINARY offset 3 Le 5: %v", sw)
	}
	if data, sw, _ := term.send(0x08, 0xB0, 0x7F, 0x00, []byte{0x96, 0x03, 0x00, 0x00, 0x00}, true); sw != apdu.SWWrongOffset || len(data) != 0 {
		t.Errorf("SM READ BINARY past the end: %v % X", sw, data)
	}
	// VERIFY under SM: a wrong 照合番号A spends a try and still advances
	// the counter; the right one is accepted.
	if _, sw, _ := term.send(0x08, 0x20, 0x00, 0x94, term.do86(term.n, []byte("000000000000")), false); sw&0xFFF0 != apdu.SWVerifyFail {
		t.Errorf("SM VERIFY wrong 照合番号A: %v, want 63Cx", sw)
	}
	if _, sw, _ := term.send(0x08, 0x20, 0x00, 0x94, term.do86(term.n, []byte(p.MyNumber)), false); sw != ok {
		t.Errorf("SM VERIFY 照合番号A: %v", sw)
	}
	// Swapped objects are SM errors, which end the session.
	if _, sw, _ := term.send(0x08, 0xB0, 0x00, 0x00, term.do86(term.n, nil), true); sw != apdu.SWSMObjectsIncorrect {
		t.Errorf("SM READ BINARY with DO 86: %v, want 6988", sw)
	}
	for _, b := range [][]byte{
		{0x08, 0xB0, 0x00, 0x00, 0x05, 0x96, 0x03, 0x00, 0x00, 0x00, 0x00},
		{0x08, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x01},
	} {
		if _, sw := raw(t, c, b); sw != apdu.SWSMError {
			t.Errorf("% X after an SM error: %v, want 69FC", b, sw)
		}
	}
}

// TestSecureMessagingSessionEnds checks what ends a session and what a
// wrong counter, a checksum CLA and another command do.
func TestSecureMessagingSessionEnds(t *testing.T) {
	s, err := profile.Default(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	p := profile.DefaultPersona()
	pub := sessionKey(t, s.Files[emulator.TextSMKey])
	open := func(t *testing.T, c *emulator.Card) *smTerminal {
		seed := make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			t.Fatal(err)
		}
		plain(t, c, apdu.SelectAID(emulator.AppText.AID()), apdu.SWOK)
		plain(t, c, apdu.Verify(apdu.KeyRef(0x0011), []byte(p.TextPIN)), apdu.SWOK)
		if sw := setSessionKey(c, t, oaep(t, pub, append([]byte{0xA0, 0x22, 0x80, 0x20}, seed...))); sw != apdu.SWOK {
			t.Fatalf("SET SESSION KEY: %v", sw)
		}
		b, _ := aes.NewCipher(seed[:16])
		return &smTerminal{t: t, card: c, block: b, n: 1}
	}
	selectSM := func(term *smTerminal, n uint32) apdu.SW {
		_, sw, _ := term.send(0x08, 0xA4, 0x02, 0x0C, term.do86(n, []byte{0x00, 0x01}), false)
		return sw
	}
	for _, tc := range []struct {
		name     string
		settings func(*emulator.Settings)
		act      func(*emulator.Card, *smTerminal) apdu.SW
		want     apdu.SW
		after    apdu.SW // an SM SELECT with the right counter afterwards
	}{
		{"wrong counter", nil, func(_ *emulator.Card, term *smTerminal) apdu.SW { return selectSM(term, term.n+1) },
			apdu.SWSMObjectsIncorrect, apdu.SWSMError},
		{"CLA 0C", nil, func(_ *emulator.Card, term *smTerminal) apdu.SW {
			_, sw, _ := term.send(0x0C, 0xA4, 0x02, 0x0C, term.do86(term.n, []byte{0x00, 0x01}), false)
			return sw
		}, apdu.SWSMObjectsMissing, apdu.SWSMError},
		{"AP selected again", nil, func(c *emulator.Card, _ *smTerminal) apdu.SW {
			_, sw := raw(t, c, apdu.SelectAID(emulator.AppText.AID()).Bytes())
			return sw
		}, apdu.SWOK, apdu.SWSMNotSupported},
		{"reset", nil, func(c *emulator.Card, _ *smTerminal) apdu.SW { c.Reset(); return apdu.SWOK }, apdu.SWOK, apdu.SWSMNotSupported},
		{"other command, sm_other_commands 69FC", nil, func(c *emulator.Card, term *smTerminal) apdu.SW {
			_, sw := raw(t, c, []byte{0x08, 0x84, 0x00, 0x00, 0x08})
			return sw
		}, apdu.SWSMError, apdu.SWOK},
		{"other command, sm_other_commands 6988", func(st *emulator.Settings) { st.SMOtherCommands = emulator.SMOther6988 },
			func(c *emulator.Card, term *smTerminal) apdu.SW {
				_, sw := raw(t, c, []byte{0x08, 0x84, 0x00, 0x00, 0x08})
				return sw
			}, apdu.SWSMObjectsIncorrect, apdu.SWSMError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := s.Clone()
			if tc.settings != nil {
				tc.settings(&st.Settings)
			}
			c, err := emulator.New(st)
			if err != nil {
				t.Fatal(err)
			}
			term := open(t, c)
			term.t = t
			if sw := tc.act(c, term); sw != tc.want {
				t.Errorf("got %v, want %v", sw, tc.want)
			}
			if sw := selectSM(term, term.n); sw != tc.after {
				t.Errorf("SM SELECT afterwards: %v, want %v", sw, tc.after)
			}
		})
	}
}

// readPlain selects fid and reads it whole without SM.
func readPlain(t *testing.T, c *emulator.Card, fid uint16) []byte {
	t.Helper()
	plain(t, c, apdu.SelectEF(fid), apdu.SWOK)
	var out []byte
	for {
		data, sw := raw(t, c, apdu.ReadBinary(len(out), 256).Bytes())
		if sw == apdu.SWWrongOffset {
			return out
		}
		if sw != apdu.SWOK {
			t.Fatalf("READ BINARY %04X at %d: %v", fid, len(out), sw)
		}
		out = append(out, data...)
		if len(data) < 256 {
			return out
		}
	}
}

func x509PublicKey(t *testing.T, der []byte) *rsa.PublicKey {
	t.Helper()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("%T is not an RSA key", cert.PublicKey)
	}
	return k
}
