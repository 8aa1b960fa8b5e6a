package vpcd_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/pcscdtest"
)

// These tests drive an emulated card through a real pcscd and vpcd with
// libpcsclite (github.com/ebfe/scard) and OpenSC, as an application would.

func newCard(t *testing.T, k profile.Kind) *emulator.Card {
	t.Helper()
	st, err := profile.Default(k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(st)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pcscCard wraps a connected card for terse exchanges.
type pcscCard struct {
	t *testing.T
	c *scard.Card
}

func (p pcscCard) send(hexCmd string, data ...byte) apdu.Response {
	p.t.Helper()
	cmd, err := hex.DecodeString(hexCmd)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd = append(cmd, data...)
	b, err := p.c.Transmit(cmd)
	if err != nil {
		p.t.Fatalf("SCardTransmit(% X): %v", cmd, err)
	}
	r, err := apdu.ParseResponse(b)
	if err != nil {
		p.t.Fatalf("SCardTransmit(% X) = % X: %v", cmd, b, err)
	}
	return apdu.Response{Data: slices.Clone(r.Data), SW: r.SW}
}

// must sends a command that has to succeed.
func (p pcscCard) must(hexCmd string, data ...byte) []byte {
	p.t.Helper()
	r := p.send(hexCmd, data...)
	if r.SW != apdu.SWOK {
		p.t.Fatalf("%s % X: SW %v, want 9000", hexCmd, data, r.SW)
	}
	return r.Data
}

// readEF reads the selected EF the way OpenSC does (spec §6.1): a 4-byte
// probe for the DER length, then 256-byte chunks.
func (p pcscCard) readEF() []byte {
	p.t.Helper()
	head := p.must("00B0000004")
	if len(head) != 4 || head[0] != 0x30 || head[1] != 0x82 {
		p.t.Fatalf("length probe = % X, want 30 82 LL LL", head)
	}
	n := int(head[2])<<8 | int(head[3]) + 4
	var out []byte
	for len(out) < n {
		le := min(256, n-len(out))
		chunk := p.must(hex.EncodeToString([]byte{0x00, 0xB0, byte(len(out) >> 8), byte(len(out)), byte(le)}))
		if len(chunk) == 0 {
			p.t.Fatalf("empty chunk at offset %d of %d", len(out), n)
		}
		out = append(out, chunk...)
	}
	return out
}

func TestPCSCJPKISequence(t *testing.T) {
	d := pcscdtest.Start(t, 1)
	card := newCard(t, profile.Normal)
	serve(t, d.Addr(0), card, true)
	ctx := pcscContext(t)

	readers, err := ctx.ListReaders()
	if err != nil || !slices.Contains(readers, d.ReaderName(0)) {
		t.Fatalf("ListReaders = %q, %v; want %q listed", readers, err, d.ReaderName(0))
	}
	if rs := waitState(t, ctx, d.ReaderName(0), true, 5*time.Second); !bytes.Equal(rs.Atr, card.ATR()) {
		t.Errorf("ATR over PC/SC = % X, want the profile's % X", rs.Atr, card.ATR())
	}
	p := pcscCard{t, connect(t, ctx, d.ReaderName(0))}

	// §6.1: the auth certificate needs no PIN.
	p.must("00A4040C0AD392F000260100000001")
	p.must("00A4020C02000A")
	cert, err := x509.ParseCertificate(p.readEF())
	if err != nil {
		t.Fatalf("auth certificate over PC/SC: %v", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("auth certificate key is %T, want RSA", cert.PublicKey)
	}

	// Signing before VERIFY is refused.
	digest := sha256.Sum256([]byte("mynacard over PC/SC"))
	digestInfo := append([]byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, digest[:]...)
	signCmd := append(append([]byte{0x80, 0x2A, 0x00, 0x80, byte(len(digestInfo))}, digestInfo...), 0x00)
	p.must("00A4020C020017")
	if r := p.send(hex.EncodeToString(signCmd)); r.SW != apdu.SWSecurityNotSatisfied {
		t.Errorf("sign without PIN: SW %v, want 6982", r.SW)
	}

	// PIN counters seen over PC/SC match the card's own state.
	p.must("00A4020C020018")
	if r := p.send("0020008004", []byte("9999")...); r.SW != apdu.RetriesLeft(2) {
		t.Errorf("wrong PIN: SW %v, want 63C2", r.SW)
	}
	if r := p.send("00200080"); r.SW != apdu.RetriesLeft(2) {
		t.Errorf("empty VERIFY: SW %v, want 63C2", r.SW)
	}
	if got := card.Snapshot().PINs[emulator.JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("in-process auth PIN counter = %d, want 2 as PC/SC reported", got)
	}

	// §6.3: VERIFY then sign with the auth key.
	p.must("0020008004", []byte("1234")...)
	if got := card.Snapshot().PINs[emulator.JPKIAuthPIN].Remaining; got != 3 {
		t.Errorf("auth PIN counter after correct PIN = %d, want 3", got)
	}
	p.must("00A4020C020017")
	sig := p.must(hex.EncodeToString(signCmd))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("signature over PC/SC does not verify with the auth certificate: %v", err)
	}
}
