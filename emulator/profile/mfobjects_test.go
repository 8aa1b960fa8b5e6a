package profile

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/emulator"
)

// TestMFDataObjects checks the generated GET DATA objects field by field:
// the identifiers, the GP card recognition data, and the CV chain root →
// municipality key (00F8, subject named by 00F7) → the visual AP's key (7F21).
func TestMFDataObjects(t *testing.T) {
	s, err := Default(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	d := s.DataObjects
	if got, want := len(d), 6; got != want {
		t.Fatalf("%d data objects, want %d", got, want)
	}
	if !bytes.Equal(d[emulator.TagIssuerID], mfIssuerID) || len(mfIssuerID) != 16 {
		t.Errorf("0042 % X", d[emulator.TagIssuerID])
	}
	serial := s.Files[emulator.CommonSerial][2:17]
	if !bytes.Equal(d[emulator.TagCardID], serial) {
		t.Errorf("0045 %q, want the serial of 共通AP 0001 %q", d[emulator.TagCardID], serial)
	}
	want, _ := hex.DecodeString(strings.ReplaceAll("66 31 73 2F 06 07 2A864886FC6B01 60 0C 06 0A 2A864886FC6B02020201 63 09 06 07 2A864886FC6B03 64 0B 06 09 2A864886FC6B040255", " ", ""))
	if !bytes.Equal(d[emulator.TagCardRecognition], want) {
		t.Errorf("0066 % X\nwant % X", d[emulator.TagCardRecognition], want)
	}
	intermediate := dataKeyID("13101")
	if !bytes.Equal(d[emulator.TagIntermediateKeyID], intermediate) {
		t.Errorf("00F7 % X, want % X", d[emulator.TagIntermediateKeyID], intermediate)
	}
	root, err := CVRootPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	upper := mfCV(t, d[emulator.TagCVCertRoot])
	if !bytes.Equal(upper[:16], mfCVRootID) || !bytes.Equal(upper[16:32], intermediate) {
		t.Errorf("00F8 key ids % X / % X", upper[:16], upper[16:32])
	}
	verifySHA256(t, "00F8", root, upper, mfSignature(d[emulator.TagCVCertRoot]))
	middle := publicKey(t, upper[32:])
	lower := mfCV(t, d[emulator.TagCVCertIntermediate])
	if !bytes.Equal(lower[:16], intermediate) || !bytes.Equal(lower[16:32], mfCardKeyID("13101")) {
		t.Errorf("7F21 key ids % X / % X", lower[:16], lower[16:32])
	}
	verifySHA256(t, "7F21", middle, lower, mfSignature(d[emulator.TagCVCertIntermediate]))
	if !publicKey(t, lower[32:]).Equal(&cardKey(t, s, emulator.VisualAPKey).PublicKey) {
		t.Error("7F21 does not certify the visual AP's key")
	}
}

// mfCV returns the 297-byte body of a CV certificate served without its
// 7F21 template.
func mfCV(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) != 563 || !bytes.HasPrefix(b, []byte{0x5F, 0x4E, 0x82, 0x01, 0x29}) || !bytes.Equal(b[302:307], []byte{0x5F, 0x37, 0x82, 0x01, 0x00}) {
		t.Fatalf("CV contents: %d bytes, headers % X / % X", len(b), b[:min(5, len(b))], b[min(302, len(b)):min(307, len(b))])
	}
	return b[5:302]
}

// mfSignature is the 5F37 value of a CV certificate mfCV accepted.
func mfSignature(b []byte) []byte { return b[307:] }
