package emulator

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/apdu"
)

// h decodes hex with optional spaces; "%s" verbs are filled from args,
// each a byte slice written as hex.
func h(format string, args ...[]byte) []byte {
	a := make([]any, len(args))
	for i, b := range args {
		a[i] = hex.EncodeToString(b)
	}
	s := strings.ReplaceAll(fmt.Sprintf(format, a...), " ", "")
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(fmt.Sprintf("bad test hex %q: %v", s, err))
	}
	return b
}

// The commands most steps send, in the hex form steps are written in.
var (
	selJPKI   = apdu.SelectAID(AppJPKI.AID()).String()
	selText   = apdu.SelectAID(AppText.AID()).String()
	selVisual = apdu.SelectAID(AppVisual.AID()).String()
	selJuki   = apdu.SelectAID(AppJuki.AID()).String()
	selCommon = apdu.SelectAID(AppCommon.AID()).String()
)

func selEF(fid uint16) string { return apdu.SelectEF(fid).String() }

func verifyCmd(s Secret) string { return apdu.Verify(apdu.CurrentEF, s).String() }

// step is one command of a sequence and what the card must answer:
// the status word, and the data when data is not nil.
type step struct {
	cmd  string
	sw   apdu.SW
	data func(s *State) []byte
}

func file(ref FileRef, from, to int) func(*State) []byte {
	return func(s *State) []byte {
		d := s.Files[ref]
		return d[from:min(to, len(d))]
	}
}

func bytesOf(b []byte) func(*State) []byte { return func(*State) []byte { return b } }

func runSteps(t *testing.T, c *Card, s *State, steps []step) {
	t.Helper()
	for i, st := range steps {
		resp := c.Transmit(h(st.cmd))
		r, err := apdu.ParseResponse(resp)
		if err != nil {
			t.Fatalf("step %d %s: %v", i, st.cmd, err)
		}
		if r.SW != st.sw {
			t.Fatalf("step %d %s: SW %s, want %s", i, st.cmd, r.SW.String(), st.sw.String())
		}
		if st.data != nil {
			if want := st.data(s); !bytes.Equal(r.Data, want) {
				t.Fatalf("step %d %s: data\n% X\nwant\n% X", i, st.cmd, r.Data, want)
			}
		} else if st.sw != apdu.SWOK && len(r.Data) != 0 {
			t.Fatalf("step %d %s: error answer carries %d data bytes", i, st.cmd, len(r.Data))
		}
	}
}

// newTestCard starts a card from the test state after the given edits; a
// nil edit is skipped, so table rows without one can pass theirs as is.
func newTestCard(t *testing.T, edit ...func(*State)) (*Card, *State) {
	t.Helper()
	s := NewTestState(t)
	for _, e := range edit {
		if e != nil {
			e(s)
		}
	}
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

var none = func(*State) []byte { return []byte{} }

func TestSequences(t *testing.T) {
	ok := apdu.SWOK
	tests := []struct {
		name  string
		edit  func(*State)
		steps []step
	}{
		{"OpenSC 4-byte probe then 256-byte chunks (§6.1)", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x000A), ok, none},
			{"00 B0 00 00 04", ok, file(JPKIAuthCert, 0, 4)},
			{"00 B0 00 00 00", ok, file(JPKIAuthCert, 0, 256)},
			{"00 B0 01 00 00", ok, file(JPKIAuthCert, 256, 512)},
			{"00 B0 02 00 00", ok, file(JPKIAuthCert, 512, 768)},
		}},
		{"myna 7-byte probe, Le beyond EOF, offset past EOF", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x000B), ok, none},
			{"00 B0 00 00 07", ok, file(JPKIAuthCACert, 0, 7)},
			{"00 B0 00 07 C3", ok, file(JPKIAuthCACert, 7, 7+0xC3)},
			{"00 B0 7F 00 00", apdu.SWWrongOffset, nil},
			{"00 B0 8B 00 04", ok, file(JPKIAuthCACert, 0, 4)},     // SFI 0B
			{"00 B0 8A 10 04", ok, file(JPKIAuthCert, 0x10, 0x14)}, // SFI 0A, now current
			{"00 B0 00 00 04", ok, file(JPKIAuthCert, 0, 4)},
		}},
		{"free JPKI EFs; token, cert status", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x0006), ok, none},
			{"00 B0 00 00 20", ok, file(JPKIToken, 0, 32)},
			{selEF(0x0008), ok, none},
			{"00 B0 00 00 00", ok, bytesOf([]byte{0x8F, 0x8F, 0x00})},
			{selEF(0x0002), ok, none},
			{"00 B0 00 00 04", ok, file(JPKISignCACert, 0, 4)},
		}},
		{"sign cert needs the sign password, not the auth PIN (§6.2)", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 04", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0018), ok, none},
			{verifyCmd(testAuthPIN), ok, none},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 04", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x001B), ok, none},
			{verifyCmd(testSignPass), ok, none},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 04", ok, file(JPKISignCert, 0, 4)},
			{selJPKI, ok, none}, // re-select = logout
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 04", apdu.SWSecurityNotSatisfied, nil},
		}},
		{"retry counter: wrong, query, exhaust, block (§7.2)", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x0018), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(3), nil},
			{"00 20 00 80 04 30303030", apdu.RetriesLeft(2), nil},
			{"00 20 00 80", apdu.RetriesLeft(2), nil},
			{"00 20 00 80 04 30303030", apdu.RetriesLeft(1), nil},
			{"00 20 00 80 03 313233", apdu.RetriesLeft(0), nil},
			{"00 20 00 80", apdu.RetriesLeft(0), nil},
			{verifyCmd(testAuthPIN), apdu.SWAuthBlocked, nil},
			{"00 20 00 80 04 30303030", apdu.SWAuthBlocked, nil},
			{selEF(0x0017), ok, none},
			{"80 2A 00 80 20 " + strings.Repeat("AB", 32) + " 00", apdu.SWSecurityNotSatisfied, nil},
		}},
		{"correct PIN resets the counter; sign password has 5", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x001B), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(5), nil},
			{"00 20 00 80 06 414243313234", apdu.RetriesLeft(4), nil},
			{verifyCmd(testSignPass), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(5), nil},
			{"00 20 00 98", apdu.RetriesLeft(3), nil}, // by SFI: 0018
			{"00 20 00 98 04 31323334", ok, none},
		}},
		{"text AP: PIN, 照合番号A and B open different EFs (§4.2)", nil, []step{
			{selText, ok, none},
			{selEF(0x0004), ok, none},
			{"00 B0 00 00 09", ok, file(TextCVCert, 0, 9)},
			{selEF(0x0005), ok, none},
			{"00 B0 00 00 00", ok, file(TextBasicInfo, 0, 256)},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 11", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0015), ok, none},
			{verifyCmd(testPINB), ok, none},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 11", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0002), ok, none},
			{"00 B0 00 00 07", ok, file(TextAttributes, 0, 7)},
			{selEF(0x0003), ok, none},
			{"00 B0 00 00 05", ok, file(TextIntegrity, 0, 5)},
			{selText, ok, none},
			{selEF(0x0014), ok, none},
			{verifyCmd(testMyNumber), ok, none},
			{selEF(0x0002), ok, none},
			{"00 B0 00 00 07", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 11", ok, bytesOf(append(append([]byte{0xFF, 0x10, 0x0C}, testMyNumber...), 0xFF, 0xFF))},
			{selText, ok, none},
			{selEF(0x0011), ok, none},
			{verifyCmd(testTextPIN), ok, none},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 11", ok, file(TextMyNumber, 0, 17)},
			{selEF(0x0002), ok, none},
			{"00 B0 00 02 01", ok, file(TextAttributes, 2, 3)},
			{selEF(0x0012), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(0), nil},
			{"00 20 00 80 04 31323334", apdu.SWAuthBlocked, nil},
			{selEF(0x0013), ok, none},
			{"00 B0 00 00 01", apdu.SWIncompatibleFile, nil},
		}},
		{"visual AP: 0005 only with 照合番号A, 0001 with DOB (§4.3)", nil, []step{
			{selVisual, ok, none},
			{selEF(0x0003), ok, none},
			{"00 B0 00 00 03", ok, file(VisualBasicInfo, 0, 3)},
			{selEF(0x0012), ok, none},
			{verifyCmd(testPINB), ok, none},
			{selEF(0x0002), ok, none},
			{"00 B0 00 00 07", ok, file(VisualCardFace, 0, 7)},
			{selEF(0x0005), ok, none},
			{"00 B0 00 00 03", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 03", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0013), ok, none},
			{verifyCmd(testMyNumber), ok, none},
			{selEF(0x0005), ok, none},
			{"00 B0 00 00 03", ok, file(VisualMyNumber, 0, 3)},
			{selEF(0x0011), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(10), nil},
			{verifyCmd(testDOB), ok, none},
			{selEF(0x0001), ok, none},
			{"00 B0 00 00 00", ok, file(VisualAgeRecord, 0, 256)},
		}},
		{"separate counters for 照合番号B in text and visual APs", nil, []step{
			{selText, ok, none},
			{selEF(0x0015), ok, none},
			{"00 20 00 80 0E 3030303030303030303030303030", apdu.RetriesLeft(9), nil},
			{selVisual, ok, none},
			{selEF(0x0012), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(10), nil},
		}},
		{"card manager (§2)", nil, []step{
			{"00 A4 00 00", apdu.SWIncorrectP1P2, nil},
			{"00 A4 02 0C 02 3F00", apdu.SWFileNotFound, nil},
			{"00 A4 00 0C 02 3F00", apdu.SWFileNotFound, nil},
			{"00 A4 02 0C 02 2F10", apdu.SWFileNotFound, nil},
			{"00 A4 02 0C 02 001E", ok, none},
			{"00 B0 00 00 01", apdu.SWIncompatibleFile, nil},
			{"00 B2 01 04 00", apdu.SWIncompatibleFile, nil},
			{"00 CA 00 F0 00", ok, bytesOf([]byte("13101"))},
			{"00 CA 00 F2 00", ok, bytesOf([]byte("20350217"))},
			{"00 CA 5F 51 00", ok, func(s *State) []byte { return s.ATR[1:] }},
			{"00 CA 5F 51 02", apdu.SWWrongLength, nil},
			{"00 CA 7F 21 00", apdu.SWDataNotFound, nil},
			{selJPKI, ok, none},
			{"00 A4 00 00", ok, none},
			{"00 B0 00 00 01", apdu.SWNoCurrentEF, nil},
			{"00 CA 00 F0 00", apdu.SWDataNotFound, nil},
			{"00 CA 5F 51 00", ok, func(s *State) []byte { return s.ATR[1:] }},
			{"00 A4 04 0C 07 A0000001510000", ok, none},
			{"00 A4 00 00", apdu.SWIncorrectP1P2, nil},
			{"00 A4 04 0C 05 D3921000AA", apdu.SWFileNotFound, nil},
		}},
		{"SELECT with FCI and by partial DF name", nil, []step{
			{"00 A4 04 00 0A D392F000260100000001 00", ok, bytesOf(h("6F 0C 84 0A D392F000260100000001"))},
			{"00 A4 04 00 05 D392100031 00", ok, bytesOf(h("6F 0C 84 0A D3921000310001010408"))},
			{"00 A4 04 0C 09 D39210003100010101", ok, none},
			{"00 A4 02 00 02 0001 00", ok, bytesOf(h("6F 04 83 02 0001"))},
			{"00 A4 02 0C 02 0005", apdu.SWFileNotFound, nil}, // common has no 0005
			{"00 A4 02 04 02 0001", apdu.SWIncorrectP1P2, nil},
			{"00 A4 09 0C 02 0001", apdu.SWIncorrectP1P2, nil},
			{"00 A4 02 0C 03 000100", apdu.SWWrongLength, nil},
		}},
		{"transport: channels, secure messaging, CLA, INS, malformed (§1.3, §8)", nil, []step{
			{"01 A4 04 0C 0A D392F000260100000001", apdu.SWChannelNotSupported, nil},
			{"40 B0 00 00 04", apdu.SWChannelNotSupported, nil},
			{"0C A4 04 0C 0A D392F000260100000001", apdu.SWSMNotSupported, nil},
			{"08 B0 00 00 04", apdu.SWSMError, nil},
			{"0C 20 00 80", apdu.SWSMError, nil},
			{"A0 A4 04 0C 0A D392F000260100000001", apdu.SWCLANotSupported, nil},
			{"FF B0 00 00 04", apdu.SWCLANotSupported, nil},
			{"80 B0 00 00 04", apdu.SWCLANotSupported, nil},
			{"00 2A 00 80 01 00", apdu.SWCLANotSupported, nil},
			{"00 FE 00 00", apdu.SWINSNotSupported, nil},
			{"80 50 00 00", apdu.SWINSNotSupported, nil},
			{"80 FC 00 00", apdu.SWWrongLength, nil},
			{"00 A4 04", apdu.SWWrongLength, nil},
			{"00 A4 04 0C 0A D392", apdu.SWWrongLength, nil},
			{"00", apdu.SWWrongLength, nil},
		}},
		{"GET CHALLENGE lengths", nil, []step{
			{"00 84 00 00 00 00 08", apdu.SWConditionsNotMet, nil},
			{"00 84 00 00", apdu.SWWrongLength, nil},
			{"00 84 01 00 08", apdu.SWIncorrectP1P2, nil},
		}},
		{"READ BINARY parameter errors", nil, []step{
			{selJPKI, ok, none},
			{"00 B0 00 00 04", apdu.SWNoCurrentEF, nil},
			{"00 B0 83 00 04", apdu.SWFileNotFound, nil},
			{"00 B0 A1 00 04", apdu.SWIncorrectP1P2, nil},
			{selEF(0x0009), ok, none},
			{"00 B0 00 00 04", apdu.SWSecurityNotSatisfied, nil},
			{selEF(0x0018), ok, none},
			{"00 B0 00 00 04", apdu.SWIncompatibleFile, nil},
			{selEF(0x0017), ok, none},
			{"00 B0 00 00 04", apdu.SWIncompatibleFile, nil},
			{selEF(0x0006), ok, none},
			{"00 B0 00 00", apdu.SWWrongLength, nil},
			{"00 B0 00 A0 00", apdu.SWWrongOffset, nil},
			{"00 B0 00 9F 00", ok, file(JPKIToken, 159, 160)},
			{"00 B0 00 00 00 00 A0", ok, file(JPKIToken, 0, 160)}, // extended Le
		}},
		{"extended READ BINARY refused when not enabled", func(s *State) { s.Settings.ExtendedReadBinary = false }, []step{
			{selJPKI, ok, none},
			{selEF(0x0006), ok, none},
			{"00 B0 00 00 00 00 A0", apdu.SWWrongLength, nil},
		}},
		{"common and juki APs: records, PINs (§4.4, §4.5)", nil, []step{
			{selCommon, ok, none},
			{"00 B2 01 0C 00", ok, file(CommonSerial, 0, 30)},
			{"00 B2 02 0C 00", apdu.SWRecordNotFound, nil},
			{"00 B2 01 0D 00", apdu.SWFuncNotSupported, nil},
			{"00 B2 01 04 00", ok, file(CommonSerial, 0, 30)}, // current EF now 0001
			{"00 B2 01 14 00", ok, file(Ref(AppCommon, 2), 0, 18)},
			{selEF(0x001C), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(3), nil},
			{verifyCmd(testCommonPIN), ok, none},
			{selJuki, ok, none},
			{"00 B2 01 14 05", ok, file(Ref(AppJuki, 2), 0, 5)},
			{"00 20 00 9C", apdu.RetriesLeft(3), nil},
			{"00 20 00 9C 04 " + hex.EncodeToString(testJukiPIN), ok, none},
		}},
		{"QueryAfterVerify 9000 and BlockedQuery 6984", func(s *State) {
			s.Settings.QueryAfterVerify, s.Settings.BlockedQuery = QueryAfterVerify9000, BlockedQuery6984
		}, []step{
			{selJPKI, ok, none},
			{selEF(0x0018), ok, none},
			{"00 20 00 80", apdu.RetriesLeft(3), nil},
			{verifyCmd(testAuthPIN), ok, none},
			{"00 20 00 80", ok, none},
			{selText, ok, none},
			{selEF(0x0012), ok, none},
			{"00 20 00 80", apdu.SWAuthBlocked, nil},
		}},
		{"VERIFY addressing errors", nil, []step{
			{"00 20 00 80", apdu.SWNoCurrentEF, nil},
			{selJPKI, ok, none},
			{"00 20 00 83", apdu.SWDataNotFound, nil},
			{"00 20 00 8A", apdu.SWIncompatibleFile, nil},
			{"00 20 00 00", apdu.SWIncorrectP1P2, nil},
			{"00 20 01 98", apdu.SWIncorrectP1P2, nil},
		}},
		{"CHANGE REFERENCE DATA (§5)", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x0018), ok, none},
			{"00 24 01 80 04 39393939", apdu.SWSecurityNotSatisfied, nil},
			{verifyCmd(testAuthPIN), ok, none},
			{"00 24 01 80 03 393939", apdu.SWWrongData, nil},
			{"00 24 01 80 04 3939393A", apdu.SWWrongData, nil},
			{"00 24 00 80 04 39393939", apdu.SWIncorrectP1P2, nil},
			{"80 32 00 80 04 39393939", apdu.SWConditionsNotMet, nil},
			{"00 24 01 80 04 39393939", ok, none},
			{selJPKI, ok, none},
			{selEF(0x0018), ok, none},
			{verifyCmd(testAuthPIN), apdu.RetriesLeft(2), nil},
			{"00 20 00 80 04 39393939", ok, none},
			{"00 20 00 80", apdu.RetriesLeft(3), nil},
			{selEF(0x001B), ok, none},
			{verifyCmd(testSignPass), ok, none},
			{"00 24 01 80 05 4142433132", apdu.SWWrongData, nil},
			{"00 24 01 80 06 616263313233", apdu.SWWrongData, nil},
			{"00 24 01 80 07 5A595831323334", ok, none},
			{selText, ok, none},
			{selEF(0x0014), ok, none},
			{verifyCmd(testMyNumber), ok, none},
			{"00 24 01 80 0C 313131313131313131313131", apdu.SWConditionsNotMet, nil},
		}},
		{"JICSAP CHANGE KEY for 住基 001C", nil, []step{
			{selJuki, ok, none},
			{selEF(0x001C), ok, none},
			{"80 32 00 80 04 38383838", apdu.SWSecurityNotSatisfied, nil},
			{verifyCmd(testJukiPIN), ok, none},
			{"00 24 01 80 04 38383838", apdu.SWConditionsNotMet, nil},
			{"80 32 00 80 04 38383838", ok, none},
			{selJuki, ok, none},
			{selEF(0x001C), ok, none},
			{"00 20 00 80 04 38383838", ok, none},
		}},
		{"READ RECORD numbers the records of an EF from 1, up to the filler", func(s *State) {
			s.Files[CommonSerial] = h("01 03 414243 02 02 4445 FF FF")
		}, []step{
			{selCommon, ok, none},
			{"00 B2 01 0C 00", ok, bytesOf(h("01 03 414243"))},
			{"00 B2 02 0C 00", ok, bytesOf(h("02 02 4445"))},
			{"00 B2 03 0C 00", apdu.SWRecordNotFound, nil},
		}},
		{"a chip without FCI refuses P2=00 and selects with P2=0C", func(s *State) { s.Settings.SelectFCI = false }, []step{
			{"00 A4 04 00 0A D392F000260100000001 00", apdu.SWIncorrectP1P2, nil},
			{selJPKI, ok, none},
			{"00 A4 02 00 02 000A 00", apdu.SWIncorrectP1P2, nil},
			{selEF(0x000A), ok, none},
			{"00 B0 00 00 04", ok, file(JPKIAuthCert, 0, 4)},
		}},
		{"FID 001F, one past the last the card knows (card.md §4), is nowhere", nil, []step{
			{selJPKI, ok, none},
			{selEF(0x001E), apdu.SWFileNotFound, nil},
			{selEF(0x001F), apdu.SWFileNotFound, nil},
			{"00 B0 9F 00 04", apdu.SWIncorrectP1P2, nil}, // SFI 31 is reserved (ISO 7816-4)
			{"00 B2 01 FC 00", apdu.SWIncorrectP1P2, nil},
			{"00 20 00 9F", apdu.SWDataNotFound, nil},
			{"80 2A 00 9F 01 01 00", apdu.SWDataNotFound, nil},
			{selEF(0x000A), ok, none},
			{"00 B0 00 00 04", ok, file(JPKIAuthCert, 0, 4)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := newTestCard(t, tt.edit)
			runSteps(t, c, s, tt.steps)
		})
	}
}

func TestGetChallenge(t *testing.T) {
	c, _ := newTestCard(t)
	for _, n := range []int{1, 8, 16, 255, 256} {
		resp := c.Transmit(apdu.GetChallenge(n).Bytes())
		if len(resp) != n+2 || !bytes.HasSuffix(resp, []byte{0x90, 0x00}) {
			t.Errorf("GET CHALLENGE %d: %d bytes, SW % X", n, len(resp), resp[len(resp)-2:])
		}
	}
	a := c.Transmit(apdu.GetChallenge(16).Bytes())
	b := c.Transmit(apdu.GetChallenge(16).Bytes())
	if bytes.Equal(a, b) {
		t.Error("two challenges are equal")
	}
}

func mustSW(t *testing.T, resp []byte, want apdu.SW) []byte {
	t.Helper()
	r, err := apdu.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	if r.SW != want {
		t.Fatalf("SW %s, want %s", r.SW.String(), want.String())
	}
	return r.Data
}

func digestInfo(msg []byte) []byte {
	return apdu.SHA256DigestInfo(sha256.Sum256(msg))
}

func TestComputeSignature(t *testing.T) {
	loadTestKeys()
	msg := []byte("message to sign")
	sum := sha256.Sum256(msg)
	di := digestInfo(msg)
	authPub := &testKeys.auth.PublicKey
	sign := func(c *Card, p1, p2 byte, data []byte) []byte {
		cmd := apdu.ComputeSignature(p1, data)
		cmd.P2 = p2
		return c.Transmit(cmd.Bytes())
	}
	login := func(t *testing.T) *Card {
		c, _ := newTestCard(t)
		for _, cmd := range []string{selJPKI, selEF(0x0018), verifyCmd(testAuthPIN), selEF(0x0017)} {
			mustSW(t, c.Transmit(h(cmd)), apdu.SWOK)
		}
		return c
	}

	t.Run("P1 00 pads the DigestInfo as given (§6.3)", func(t *testing.T) {
		c := login(t)
		sig := mustSW(t, sign(c, 0x00, 0x80, di), apdu.SWOK)
		if err := rsa.VerifyPKCS1v15(authPub, crypto.SHA256, sum[:], sig); err != nil {
			t.Fatal(err)
		}
		if again := mustSW(t, sign(c, 0x00, 0x80, di), apdu.SWOK); !bytes.Equal(sig, again) {
			t.Error("P1=00 signature not deterministic")
		}
	})
	t.Run("schemes 01-05", func(t *testing.T) {
		c := login(t)
		sig := mustSW(t, sign(c, 0x01, 0x80, msg), apdu.SWOK)
		if err := rsa.VerifyPKCS1v15(authPub, crypto.Hash(0), sum[:], sig); err != nil {
			t.Errorf("01: %v", err)
		}
		sig = mustSW(t, sign(c, 0x02, 0x80, sum[:]), apdu.SWOK)
		if err := rsa.VerifyPKCS1v15(authPub, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("02: %v", err)
		}
		sig = mustSW(t, sign(c, 0x03, 0x80, msg), apdu.SWOK)
		if err := rsa.VerifyPKCS1v15(authPub, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("03: %v", err)
		}
		sig = mustSW(t, sign(c, 0x04, 0x80, sum[:]), apdu.SWOK)
		if err := rsa.VerifyPSS(authPub, crypto.SHA256, sum[:], sig, nil); err != nil {
			t.Errorf("04: %v", err)
		}
		sig = mustSW(t, sign(c, 0x05, 0x80, msg), apdu.SWOK)
		if err := rsa.VerifyPSS(authPub, crypto.SHA256, sum[:], sig, nil); err != nil {
			t.Errorf("05: %v", err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		c := login(t)
		mustSW(t, sign(c, 0x06, 0x80, di), apdu.SWIncorrectP1P2)
		mustSW(t, sign(c, 0x00, 0x80, nil), apdu.SWWrongLength)
		mustSW(t, sign(c, 0x00, 0x80, make([]byte, 246)), apdu.SWConditionsNotMet)
		mustSW(t, sign(c, 0x02, 0x80, make([]byte, 31)), apdu.SWConditionsNotMet)
		mustSW(t, sign(c, 0x00, 0x9A, di), apdu.SWSecurityNotSatisfied) // sign key: password not verified
		mustSW(t, sign(c, 0x00, 0x98, di), apdu.SWIncompatibleFile)     // 0018 is a PIN
		mustSW(t, sign(c, 0x00, 0x00, di), apdu.SWDataNotFound)         // JPKI has no AP key
	})
	t.Run("sign key by SFI after the password (§6.3 alternative)", func(t *testing.T) {
		c, _ := newTestCard(t)
		for _, cmd := range []string{selJPKI, apdu.Verify(apdu.KeyRef(JPKISignPassword.FID()), testSignPass).String()} {
			mustSW(t, c.Transmit(h(cmd)), apdu.SWOK)
		}
		mustSW(t, sign(c, 0x00, 0x97, di), apdu.SWSecurityNotSatisfied)
		sig := mustSW(t, sign(c, 0x00, 0x9A, di), apdu.SWOK)
		if err := rsa.VerifyPKCS1v15(&testKeys.sign.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("券面 AP keys sign with no credential", func(t *testing.T) {
		c, _ := newTestCard(t)
		for _, tc := range []struct {
			sel string
			pub *rsa.PublicKey
		}{{selText, &testKeys.text.PublicKey}, {selVisual, &testKeys.visual.PublicKey}} {
			mustSW(t, c.Transmit(h(tc.sel)), apdu.SWOK)
			sig := mustSW(t, sign(c, 0x00, 0x00, di), apdu.SWOK)
			if err := rsa.VerifyPKCS1v15(tc.pub, crypto.SHA256, sum[:], sig); err != nil {
				t.Error(err)
			}
		}
		mustSW(t, c.Transmit(h(selCommon)), apdu.SWOK)
		mustSW(t, sign(c, 0x00, 0x00, di), apdu.SWDataNotFound)
		mustSW(t, sign(c, 0x00, 0x99, di), apdu.SWConditionsNotMet) // IA-only key
	})
}

func TestInternalAuthenticate(t *testing.T) {
	loadTestKeys()
	c, _ := newTestCard(t)
	challenge := []byte("0123456789abcdef")
	sum := sha256.Sum256(challenge)
	ia := func(p2 byte) []byte {
		return c.Transmit(apdu.InternalAuthenticate(p2, challenge).Bytes())
	}
	mustSW(t, c.Transmit(h(selCommon)), apdu.SWOK)
	sig := mustSW(t, ia(0x99), apdu.SWOK)
	if err := rsa.VerifyPKCS1v15(&testKeys.comm.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatal(err)
	}
	mustSW(t, c.Transmit(h(selEF(0x0019))), apdu.SWOK)
	if again := mustSW(t, ia(0x80), apdu.SWOK); !bytes.Equal(again, sig) {
		t.Error("INTERNAL AUTHENTICATE not deterministic")
	}
	for _, n := range []int{1, 255} { // challenges of 1–255 bytes (card.md §5)
		ch := bytes.Repeat([]byte{0xA5}, n)
		sum := sha256.Sum256(ch)
		sig := mustSW(t, c.Transmit(apdu.InternalAuthenticate(0x99, ch).Bytes()), apdu.SWOK)
		if err := rsa.VerifyPKCS1v15(&testKeys.comm.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("%d-byte challenge: %v", n, err)
		}
	}
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	mustSW(t, ia(0x97), apdu.SWSecurityNotSatisfied)
	mustSW(t, c.Transmit(h(selText)), apdu.SWOK)
	mustSW(t, ia(0x93), apdu.SWConditionsNotMet)
}

// Verified lists the key references the session has verified, and only
// those.
func TestVerified(t *testing.T) {
	c, _ := newTestCard(t)
	c.Transmit(h(selJPKI))
	if v := c.Verified(); len(v) != 0 {
		t.Errorf("after SELECT: verified %v", v)
	}
	c.Transmit(h(selEF(0x0018)))
	c.Transmit(h(verifyCmd(testAuthPIN)))
	if v := c.Verified(); len(v) != 1 || v[0] != JPKIAuthPIN {
		t.Errorf("after VERIFY of the auth PIN: verified %v, want [%v]", v, JPKIAuthPIN)
	}
}

// SetTriesLeft takes 0..max tries for a key the card has, and ends the
// key's verification in the current session.
func TestSetTriesLeft(t *testing.T) {
	c, _ := newTestCard(t)
	for _, tt := range []struct {
		ref FileRef
		n   int
		ok  bool
	}{{JPKIAuthPIN, -1, false}, {JPKIAuthPIN, 4, false}, {JPKIAuthPIN, 3, true}, {JPKIAuthPIN, 0, true}, {Ref(AppJPKI, 0x000A), 1, false}} {
		if err := c.SetTriesLeft(tt.ref, tt.n); (err == nil) != tt.ok {
			t.Errorf("SetTriesLeft(%v, %d) = %v, want ok=%v", tt.ref, tt.n, err, tt.ok)
		}
	}
	c.Transmit(h(selJPKI))
	c.Transmit(h(selEF(0x001B)))
	mustSW(t, c.Transmit(h(verifyCmd(testSignPass))), apdu.SWOK)
	if err := c.SetTriesLeft(JPKISignPassword, 2); err != nil {
		t.Fatal(err)
	}
	if v := c.Verified(); len(v) != 0 {
		t.Errorf("after SetTriesLeft: still verified %v", v)
	}
	mustSW(t, c.Transmit(h("00 20 00 80")), apdu.RetriesLeft(2))
}
