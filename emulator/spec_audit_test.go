package emulator

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/apdu"
)

// Rows from a line-by-line audit of the card against card.md: each pins
// the bytes a card.md row states, where TestSequences does not already.
func TestSpecRows(t *testing.T) {
	ok := apdu.SWOK
	faceAuth := func(s *State) {
		if err := s.ConvertToFaceAuth(rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		edit  func(*State)
		steps []step
	}{
		{"§4.1 JPKI 0009 exists on every card and no credential opens it",
			func(s *State) { delete(s.Files, Ref(AppJPKI, 0x0009)) }, []step{
				{selJPKI, ok, none},
				{selEF(0x0009), ok, none},
				{"00 B0 00 00 00", apdu.SWSecurityNotSatisfied, nil},
				{"00 20 00 98 " + "04 31323334", ok, none},
				{"00 20 00 9B " + "06 414243313233", ok, none},
				{"00 B0 89 00 01", apdu.SWSecurityNotSatisfied, nil},
				{"00 B0 00 00 01", apdu.SWSecurityNotSatisfied, nil},
			}},
		{"§5, §8 SET SESSION KEY: 6982 in JPKI/住基, 66F1 in 券面確認/共通", nil, []step{
			{selJPKI, ok, none},
			{"80 AE 00 00 00 01 00" + strings.Repeat("00", 256), apdu.SWSecurityNotSatisfied, nil},
			{selJuki, ok, none},
			{"80 AE 00 00 00 01 00" + strings.Repeat("00", 256), apdu.SWSecurityNotSatisfied, nil},
			{selVisual, ok, none},
			{"80 AE 00 00 00 01 00" + strings.Repeat("00", 256), apdu.SWSecurityEnvFaulty, nil},
			{selCommon, ok, none},
			{"80 AE 00 00 00 01 00" + strings.Repeat("00", 256), apdu.SWSecurityEnvFaulty, nil},
		}},
		{"ISO 7816-4 §5.1: no response data beyond Ne (SELECT FCI, signatures)", nil, []step{
			{"00 A4 04 00 0A D392F000260100000001", ok, none},
			{"00 A4 04 00 0A D392F000260100000001 04", ok, bytesOf(h("6F 0C 84 0A"))},
			{"00 A4 04 00 0A D392F000260100000001 00", ok, bytesOf(h("6F 0C 84 0A D392F000260100000001"))},
			{selEF(0x0018), ok, none},
			{verifyCmd(testAuthPIN), ok, none},
			{selEF(0x0017), ok, none},
			{"80 2A 00 80 03 010203", apdu.SWWrongLength, nil},
			{"80 2A 00 80 03 010203 80", apdu.SWWrongLength, nil},
			{selCommon, ok, none},
			{"00 88 00 99 04 01020304", apdu.SWWrongLength, nil},
		}},
		{"§5 80 A2 with each P1 P2 tried on a card answers 6A86", nil, []step{
			{selJPKI, ok, none},
			{"80 A2 00 00 00 01 33" + strings.Repeat("00", 307), apdu.SWIncorrectP1P2, nil},
			{"80 A2 00 AE 00 01 33" + strings.Repeat("00", 307), apdu.SWIncorrectP1P2, nil},
			{"80 A2 80 00 00 01 33" + strings.Repeat("00", 307), apdu.SWIncorrectP1P2, nil},
			{"80 A2 00 B6 00 01 33" + strings.Repeat("00", 307), apdu.SWIncorrectP1P2, nil},
		}},
		{"§5, §13.2 READ BINARY: 15-bit offset, Le 00 = 256, min(Le, EOF), offset ≥ size 6B00", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x000A), ok, none},
			{"00 B0 00 01 00", ok, file(JPKIAuthCert, 1, 257)},
			{"00 B0 01 80 FF", ok, file(JPKIAuthCert, 0x180, 0x27F)},
			{"00 B0 7F FF 01", apdu.SWWrongOffset, nil},
			{selEF(0x0008), ok, none},
			{"00 B0 00 02 00", ok, bytesOf([]byte{0x00})},
			{"00 B0 00 03 01", apdu.SWWrongOffset, nil},
			// A PIN EF and a private-key EF are internal: 6981 before any offset check.
			{selEF(0x001B), ok, none},
			{"00 B0 7F FF 01", apdu.SWIncompatibleFile, nil},
			{"00 B0 9A 00 01", apdu.SWIncompatibleFile, nil},
		}},
		{"§5 SELECT EF with no AP selected: only the MF's 001E exists", nil, []step{
			{selEF(0x000A), apdu.SWFileNotFound, nil},
			{selEF(0x0018), apdu.SWFileNotFound, nil},
			{"00 20 00 98", apdu.SWDataNotFound, nil},
			{"00 B0 8A 00 04", apdu.SWFileNotFound, nil},
			{selEF(0x001E), ok, none},
		}},
		{"§13.3 VERIFY with Lc=00 is a retry query and spends nothing", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x0018), ok, none},
			{"00 20 00 80 00", apdu.RetriesLeft(3), nil},
			{"00 20 00 80 00", apdu.RetriesLeft(3), nil},
			{"00 20 00 80", apdu.RetriesLeft(3), nil},
		}},
		{"§7.2 security status: kept across EF selects and SELECT MF, cleared by any AP SELECT", nil, []step{
			{selText, ok, none},
			{selEF(0x0011), ok, none},
			{verifyCmd(testTextPIN), ok, none},
			{selEF(0x0004), ok, none},
			{selEF(0x0001), ok, none},
			{"00 A4 00 00", ok, none},
			{"00 B0 00 00 11", ok, file(TextMyNumber, 0, 17)},
			{"00 A4 04 0C 0A D3 92 10 00 31 FF FF FF FF FF", apdu.SWFileNotFound, nil}, // failed SELECT changes nothing
			{"00 B0 00 00 11", ok, file(TextMyNumber, 0, 17)},
			{"00 A4 04 00 09 D39210003100010104 00", ok, bytesOf(h("6F 0C 84 0A D3921000310001010408"))}, // same AP, partial name
			{"00 B0 81 00 11", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0011), ok, none},
			{verifyCmd(testTextPIN), ok, none},
			{"00 A4 04 0C 07 A0000001510000", ok, none}, // ISD: card manager state
			{"00 B0 81 00 11", apdu.SWFileNotFound, nil},
			{selText, ok, none},
			{"00 B0 81 00 11", apdu.SWSecurityNotSatisfied, nil},
		}},
		{"§7.2 each key ref is independent: auth PIN does not open the sign key, nor A open 0002", nil, []step{
			{selJPKI, ok, none},
			{"00 20 00 98 04 31323334", ok, none},
			{"80 2A 00 9A 01 AA 00", apdu.SWSecurityNotSatisfied, nil},
			{"00 20 00 9B", apdu.RetriesLeft(5), nil},
			{"00 20 00 9B 06 414243313234", apdu.RetriesLeft(4), nil},
			{"80 2A 00 97 01 AA 00", ok, nil}, // auth still verified after a wrong sign password
			{selText, ok, none},
			{"00 20 00 94 0C 313233343536373839303138", ok, none},
			{"00 B0 82 00 01", apdu.SWSecurityNotSatisfied, nil},
			{"00 B0 83 00 01", ok, file(TextIntegrity, 0, 1)},
		}},
		{"§7.2 63Cx → 63C0 → 6984 for a 照合番号 key (10 tries)", nil, []step{
			{selVisual, ok, none},
			{selEF(0x0013), ok, none},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(9), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(8), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(7), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(6), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(5), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(4), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(3), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(2), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(1), nil},
			{"00 20 00 80 0C 303030303030303030303030", apdu.RetriesLeft(0), nil},
			{"00 20 00 80", apdu.RetriesLeft(0), nil},
			{verifyCmd(testMyNumber), apdu.SWAuthBlocked, nil},
			{selText, ok, none}, // the text AP's 照合番号A has its own counter
			{"00 20 00 94", apdu.RetriesLeft(10), nil},
		}},
		{"§11 face-auth: text AP still opens with 照合番号A; auth key locked; visual via A", faceAuth, []step{
			{selText, ok, none},
			{"00 20 00 94 0C 313233343536373839303138", ok, none},
			{"00 B0 81 00 11", ok, file(TextMyNumber, 0, 17)},
			{selVisual, ok, none},
			{"00 20 00 93 0C 313233343536373839303138", ok, none},
			{"00 B0 85 00 03", ok, file(VisualMyNumber, 0, 3)},
			{selJPKI, ok, none},
			{"80 2A 00 97 01 AA 00", apdu.SWSecurityNotSatisfied, nil},
			{"00 B0 8A 00 04", ok, file(JPKIAuthCert, 0, 4)},
			{"00 B0 88 00 00", ok, bytesOf([]byte{0x00, 0x8F, 0x00})},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := newTestCard(t, tt.edit)
			runSteps(t, c, s, tt.steps)
		})
	}
}

// Reset and power-off end the session (§7.2: "cleared when … the card
// leaves the field").
func TestResetClearsSecurityStatus(t *testing.T) {
	for name, end := range map[string]func(*Card){"reset": (*Card).Reset, "power off": (*Card).PowerOff} {
		t.Run(name, func(t *testing.T) {
			c, s := newTestCard(t)
			runSteps(t, c, s, []step{
				{selJPKI, apdu.SWOK, none},
				{"00 20 00 9B 06 414243313233", apdu.SWOK, none},
				{"00 B0 81 00 04", apdu.SWOK, file(JPKISignCert, 0, 4)},
			})
			end(c)
			if c.Selected() != AppNone {
				t.Fatalf("after %s: AP %v selected", name, c.Selected())
			}
			runSteps(t, c, s, []step{
				{"00 B0 00 00 04", apdu.SWNoCurrentEF, nil},
				{selJPKI, apdu.SWOK, none},
				{"00 B0 81 00 04", apdu.SWSecurityNotSatisfied, nil},
			})
		})
	}
}
