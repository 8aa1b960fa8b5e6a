package vpcd_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// These tests drive an emulated card through a real pcscd and vpcd with
// libpcsclite (github.com/ebfe/scard) and OpenSC, as an application would.

func newCard(t *testing.T, k emulator.Kind) *emulator.Card {
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

// readEF reads the selected EF the way OpenSC does (card.md §6.1): a 4-byte
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
	d := pcsctest.Daemon(t, 1)
	card := newCard(t, emulator.KindNormal)
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
	digestInfo := apdu.SHA256DigestInfo(digest)
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

// opensc runs an OpenSC tool against the private pcscd (PCSCLITE_CSOCK_NAME
// is inherited) with a private HOME, so no file cache from another run is
// read, and returns its combined output.
func opensc(t *testing.T, tool string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v (install opensc: make deps)", tool, err)
		}
		t.Skipf("%s: %v (install opensc: make deps)", tool, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("$ %s %s\n%s", tool, strings.Join(args, " "), out)
	return string(out), err
}

const opensc11 = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

// TestOpenSC lets OpenSC, an independent PC/SC client with its own JPKI
// driver, bind a normal card on slot 0 and a face-auth card on slot 1.
func TestOpenSC(t *testing.T) {
	d := pcsctest.Daemon(t, 2)
	normal := newCard(t, emulator.KindNormal)
	faceAuth := newCard(t, emulator.KindFaceAuth)
	serve(t, d.Addr(0), normal, true)
	serve(t, d.Addr(1), faceAuth, true)
	ctx := pcscContext(t)
	for slot := range 2 {
		waitState(t, ctx, d.ReaderName(slot), true, 5*time.Second)
	}
	authCert, err := x509.ParseCertificate(normal.Snapshot().Files[emulator.JPKIAuthCert])
	if err != nil {
		t.Fatal(err)
	}

	for slot := range 2 {
		r := strconv.Itoa(slot)
		if out, err := opensc(t, "opensc-tool", "--reader", r, "--name"); err != nil || strings.TrimSpace(strings.ToLower(out)) != "jpki" {
			t.Errorf("slot %d: opensc-tool --name = %q, %v; want the JPKI driver", slot, out, err)
		}
		out, err := opensc(t, "pkcs15-tool", "--reader", r, "--list-certificates")
		if err != nil || !strings.Contains(out, "User Authentication Certificate") ||
			!strings.Contains(out, fmt.Sprintf("%X", authCert.SerialNumber)) {
			t.Errorf("slot %d: pkcs15-tool --list-certificates lacks the auth certificate (serial %X): %v", slot, authCert.SerialNumber, err)
		}
	}

	out, err := opensc(t, "pkcs15-tool", "--reader", "0", "--list-pins")
	if err != nil || triesLeft(out, "User Authentication PIN") != "3" || triesLeft(out, "Digital Signature PIN") != "5" {
		t.Errorf("normal card: --list-pins tries left = %q/%q, want 3/5 (err %v)",
			triesLeft(out, "User Authentication PIN"), triesLeft(out, "Digital Signature PIN"), err)
	}
	out, err = opensc(t, "pkcs15-tool", "--reader", "1", "--list-pins")
	if err != nil || triesLeft(out, "User Authentication PIN") != "0" || triesLeft(out, "Digital Signature PIN") != "0" {
		t.Errorf("face-auth card: --list-pins tries left = %q/%q, want 0/0 (err %v)",
			triesLeft(out, "User Authentication PIN"), triesLeft(out, "Digital Signature PIN"), err)
	}

	// PKCS#11 login and sign with the auth key (ID 01). OpenSC hashes and
	// builds the DigestInfo; the card pads and signs it.
	dir := t.TempDir()
	msg := []byte("signed through OpenSC PKCS#11")
	in, sigPath := filepath.Join(dir, "msg"), filepath.Join(dir, "sig")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := opensc(t, "pkcs11-tool", "--module", opensc11, "--slot-index", "0", "--login", "--pin", "1234",
		"--sign", "--id", "01", "--mechanism", "SHA256-RSA-PKCS", "--input-file", in, "--output-file", sigPath); err != nil {
		t.Fatalf("pkcs11-tool --sign: %v", err)
	}
	sig, err := os.ReadFile(sigPath)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(authCert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("PKCS#11 signature does not verify with the auth certificate: %v", err)
	}

	// The face-auth card's tokens report the PIN locked, and a login
	// attempt fails and changes nothing. (The card answers 69 84, which
	// OpenSC 0.23 maps to CKR_GENERAL_ERROR rather than CKR_PIN_LOCKED.)
	out, _ = opensc(t, "pkcs11-tool", "--module", opensc11, "--list-slots")
	if !strings.Contains(out, "user PIN locked") {
		t.Errorf("pkcs11-tool --list-slots does not report the face-auth PIN locked")
	}
	before := faceAuth.Snapshot().PINs[emulator.JPKIAuthPIN]
	if out, err := opensc(t, "pkcs11-tool", "--module", opensc11, "--slot-index", "2", "--login", "--pin", "1234", "--list-objects"); err == nil || !strings.Contains(out, "C_Login failed") {
		t.Errorf("face-auth login: err %v, want C_Login to fail", err)
	}
	if after := faceAuth.Snapshot().PINs[emulator.JPKIAuthPIN]; after.Remaining != before.Remaining || after.Remaining != 0 {
		t.Errorf("face-auth auth PIN counter %d -> %d, want 0 unchanged", before.Remaining, after.Remaining)
	}
	if got := normal.Snapshot().PINs[emulator.JPKIAuthPIN].Remaining; got != 3 {
		t.Errorf("normal card auth PIN counter = %d after a good login, want 3", got)
	}
}

// triesLeft finds "Tries left" in the --list-pins block of the named PIN.
func triesLeft(out, pin string) string {
	_, block, ok := strings.Cut(out, "PIN ["+pin+"]")
	if !ok {
		return ""
	}
	block, _, _ = strings.Cut(block, "PIN [")
	_, v, ok := strings.Cut(block, "Tries left")
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, "\n")
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
}

// TestPCSCRestartAndDisconnect checks that a card survives its reader going
// away mid-session, by pcscd restarting or by the link dropping: it comes
// back by itself with its retry counters, and like a real card after a
// power cycle it has forgotten its security status.
func TestPCSCRestartAndDisconnect(t *testing.T) {
	d := pcsctest.Daemon(t, 1)
	card := newCard(t, emulator.KindNormal)
	srv := serve(t, d.Addr(0), card, true)
	reader := d.ReaderName(0)

	session := func() pcscCard {
		ctx, err := scard.EstablishContext()
		if err != nil {
			t.Fatalf("SCardEstablishContext: %v", err)
		}
		t.Cleanup(func() { ctx.Release() })
		p := pcscCard{t, connect(t, ctx, reader)}
		p.must("00A4040C0AD392F000260100000001")
		p.must("00A4020C020018")
		return p
	}
	p := session()
	if r := p.send("0020008004", []byte("0000")...); r.SW != apdu.RetriesLeft(2) {
		t.Fatalf("wrong PIN: SW %v, want 63C2", r.SW)
	}
	p.must("0020008004", []byte("1234")...) // resets the counter and opens the key
	if r := p.send("0020008004", []byte("0000")...); r.SW != apdu.RetriesLeft(2) {
		t.Fatalf("wrong PIN: SW %v, want 63C2", r.SW)
	}
	sign := "802A00800430313233" + "00"

	start := time.Now()
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	p = session()
	t.Logf("card usable %v after pcscd restart began", time.Since(start))
	if r := p.send("00200080"); r.SW != apdu.RetriesLeft(2) {
		t.Errorf("after pcscd restart: empty VERIFY SW %v, want 63C2 (counter kept)", r.SW)
	}
	p.must("00A4020C020017")
	if r := p.send(sign); r.SW != apdu.SWSecurityNotSatisfied {
		t.Errorf("after pcscd restart: sign SW %v, want 6982 (security status lost with power)", r.SW)
	}

	ctx := pcscContext(t)
	srv.Remove()
	waitState(t, ctx, reader, false, 5*time.Second)
	srv.Insert()
	p = session()
	if r := p.send("00200080"); r.SW != apdu.RetriesLeft(2) {
		t.Errorf("after link drop: empty VERIFY SW %v, want 63C2", r.SW)
	}
	if got := card.Snapshot().PINs[emulator.JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("in-process counter = %d, want 2", got)
	}
}
