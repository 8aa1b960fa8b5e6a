package apdu

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Command
		cas  Case
	}{
		{"select JPKI AP (card.md §6.1)", "00A4040C0AD392F000260100000001",
			Command{CLA: 0, INS: 0xA4, P1: 4, P2: 0x0C, Data: h("D392F000260100000001")}, Case3},
		{"empty VERIFY = retry query", "00200080", Command{INS: 0x20, P2: 0x80}, Case1},
		{"OpenSC length probe", "00B0000004", Command{INS: 0xB0, Ne: 4}, Case2},
		{"Le=00 means 256", "00B0010000", Command{INS: 0xB0, P1: 1, Ne: 256}, Case2},
		{"sign with Le", "802A008003010203" + "00", Command{CLA: 0x80, INS: 0x2A, P2: 0x80, Data: h("010203"), Ne: 256}, Case4},
		{"extended Le", "00B00000000800", Command{INS: 0xB0, Ne: 0x800, Extended: true}, Case2},
		{"extended Le 0000 = 65536", "00B00000000000", Command{INS: 0xB0, Ne: 65536, Extended: true}, Case2},
		{"extended Lc", "80A20000000002AABB", Command{CLA: 0x80, INS: 0xA2, Data: h("AABB"), Extended: true}, Case3},
		{"extended Lc and Le", "80AE00000000020102" + "0000", Command{CLA: 0x80, INS: 0xAE, Data: h("0102"), Ne: 65536, Extended: true}, Case4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand(h(tt.in))
			if err != nil {
				t.Fatalf("ParseCommand(%s): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseCommand(%s) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if got.Case() != tt.cas {
				t.Errorf("Case() = %d, want %d", got.Case(), tt.cas)
			}
			if enc := hex.EncodeToString(got.Bytes()); enc != hex.EncodeToString(h(tt.in)) {
				t.Errorf("Bytes() = %s, want %s", enc, tt.in)
			}
		})
	}
}

func TestParseCommandMalformed(t *testing.T) {
	for _, in := range []string{"", "00", "00A404", "00A4040C05D392", "00A4040C02AABBCCDD", "00B000000000", "00B00000000002AA", "80A200000000"} {
		_, err := ParseCommand(h(in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("ParseCommand(%q) error = %v, want *ParseError", in, err)
			continue
		}
		if pe.Len != len(in)/2 {
			t.Errorf("ParseCommand(%q) ParseError.Len = %d, want %d", in, pe.Len, len(in)/2)
		}
	}
}

func TestChannelAndSM(t *testing.T) {
	tests := []struct {
		cla     byte
		channel int
		sm      bool
	}{
		{0x00, 0, false}, {0x01, 1, false}, {0x0C, 0, true}, {0x08, 0, true},
		{0x41, 5, false}, {0x60, 4, true}, {0x80, -1, false},
	}
	for _, tt := range tests {
		c := Command{CLA: tt.cla}
		if c.Channel() != tt.channel || c.SecureMessaging() != tt.sm {
			t.Errorf("CLA %02X: channel %d sm %v, want %d %v", tt.cla, c.Channel(), c.SecureMessaging(), tt.channel, tt.sm)
		}
	}
}

func TestResponse(t *testing.T) {
	r, err := ParseResponse(h("308204AA63C2"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Response{Data: h("308204AA"), SW: 0x63C2}, r); diff != "" {
		t.Errorf("ParseResponse mismatch (-want +got):\n%s", diff)
	}
	if n, ok := r.SW.Retries(); !ok || n != 2 {
		t.Errorf("Retries() = %d, %v; want 2, true", n, ok)
	}
	if got := hex.EncodeToString(r.Bytes()); got != "308204aa63c2" {
		t.Errorf("Bytes() = %s", got)
	}
	if _, err := ParseResponse([]byte{0x90}); !errors.Is(err, ErrShortResponse) {
		t.Errorf("ParseResponse(1 byte) error = %v, want ErrShortResponse", err)
	}
}

func TestSWNames(t *testing.T) {
	tests := map[SW]string{
		0x9000:          "9000 (OK)",
		RetriesLeft(2):  "63C2 (verification failed, 2 tries left)",
		RetriesLeft(0):  "63C0 (verification failed, no tries left)",
		RetriesLeft(99): "63CF (verification failed, 15 tries left)",
		0x6984:          "6984 (authentication method blocked)",
		0x6B00:          "6B00 (offset outside the EF)",
		0x6581:          "6581 (memory failure)",
		0x6123:          "6123 (35 bytes still available)",
		0x1234:          "1234 (unknown status)",
	}
	for sw, want := range tests {
		if sw.String() != want {
			t.Errorf("SW(%04X).String() = %q, want %q", uint16(sw), sw.String(), want)
		}
	}
}

// The DigestInfo must be what crypto/rsa itself pads for SHA-256, or a
// card signature over it would not verify as sha256WithRSAEncryption.
func TestSHA256DigestInfo(t *testing.T) {
	sum := sha256.Sum256([]byte("mynacard"))
	di := SHA256DigestInfo(sum)
	want := append(h("3031300D060960864801650304020105000420"), sum[:]...)
	if !bytes.Equal(di, want) {
		t.Errorf("SHA256DigestInfo = %X, want %X", di, want)
	}
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.Hash(0), di)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("signature over the DigestInfo does not verify as SHA-256: %v", err)
	}
}
