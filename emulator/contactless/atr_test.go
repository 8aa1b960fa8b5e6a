package contactless

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestATR builds every contactless ATR of card.md §1.2 from its ATQB, and
// a whole-ATQB ATR from pcsc-tools' list, whose PUPI is the observed one.
func TestATR(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     ATQB
		style Style
		pupi  [4]byte
		want  string
	}{
		{"JPKI (06)", ATQB{AppData: [4]byte{0x00, 0x00, 0x05, 0xE0}, ProtocolInfo: [3]byte{0xB3, 0x81, 0xA1}}, Part3, [4]byte{1, 2, 3, 4}, "3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F"},
		{"JPKI (07)", ATQB{AppData: [4]byte{0x00, 0x00, 0x41, 0xE0}, ProtocolInfo: [3]byte{0xB3, 0x81, 0xA1}}, Part3, [4]byte{}, "3B 88 80 01 00 00 41 E0 B3 81 A1 00 3B"},
		{"JPKI (08)", ATQB{AppData: [4]byte{0x00, 0x4B, 0x51, 0xFF}, ProtocolInfo: [3]byte{0x00, 0x81, 0xD1}}, Part3, [4]byte{0xFF, 0, 0xFF, 0}, "3B 88 80 01 00 4B 51 FF 00 81 D1 00 BC"},
		{"JPKI (09)", ATQB{AppData: [4]byte{0x00, 0x4B, 0x51, 0xFF}, ProtocolInfo: [3]byte{0xB3, 0x81, 0xD1}}, Part3, [4]byte{}, "3B 88 80 01 00 4B 51 FF B3 81 D1 00 0F"},
		{"Juki card (contrast)", ATQB{AppData: [4]byte{0x00, 0x00, 0x14, 0xE0}, ProtocolInfo: [3]byte{0xB3, 0x81, 0x91}}, Part3, [4]byte{}, "3B 88 80 01 00 00 14 E0 B3 81 91 00 5E"},
		// The last byte's high nibble is the MBLI of the answer to ATTRIB.
		{"MBLI 8", ATQB{AppData: [4]byte{0x00, 0x00, 0x05, 0xE0}, ProtocolInfo: [3]byte{0xB3, 0x81, 0xA1}, MBLI: 8}, Part3, [4]byte{}, "3B 88 80 01 00 00 05 E0 B3 81 A1 80 FF"},
		{"Spanish eID, whole ATQB", ATQB{AppData: [4]byte{0xE1, 0xF3, 0x5E, 0x11}, ProtocolInfo: [3]byte{0x77, 0x81, 0xA1}}, WholeATQB, [4]byte{0x04, 0x46, 0x3E, 0xC3}, "3B 8C 80 01 50 04 46 3E C3 E1 F3 5E 11 77 81 A1 E8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(unhex(t, tc.want), tc.q.ATR(tc.style, tc.pupi)); d != "" {
				t.Errorf("ATR (-want +got):\n%s", d)
			}
		})
	}
}
