package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/apdu"
)

func faceAuthState(t *testing.T, edit ...func(*State)) *State {
	t.Helper()
	s := NewTestState(t)
	for _, e := range edit {
		e(s)
	}
	if err := s.ConvertToFaceAuth(rand.Reader); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFaceAuthCard(t *testing.T) {
	ok := apdu.SWOK
	s := faceAuthState(t)
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, c, s, []step{
		// Locked 4-digit PINs: 63C0 to the query, 6984 to any value (§11.2, §13.7).
		{selJPKI, ok, none},
		{selEF(0x0018), ok, none},
		{"00 20 00 80", apdu.RetriesLeft(0), nil},
		{verifyCmd(testAuthPIN), apdu.SWAuthBlocked, nil},
		{selEF(0x001B), ok, none},
		{"00 20 00 80", apdu.RetriesLeft(0), nil},
		{verifyCmd(testSignPass), apdu.SWAuthBlocked, nil},
		{selEF(0x0008), ok, none},
		{"00 B0 00 00 03", ok, bytesOf([]byte{0x00, 0x8F, 0x00})},
		// The auth certificate still reads; the sign certificate is gone.
		{selEF(0x000A), ok, none},
		{"00 B0 00 00 04", ok, file(JPKIAuthCert, 0, 4)},
		{selEF(0x0001), ok, none},
		{"00 B0 00 00 04", apdu.SWSecurityNotSatisfied, nil},
		{selEF(0x001A), ok, none},
		{"80 2A 00 80 01 00 00", apdu.SWSecurityNotSatisfied, nil},
		{selText, ok, none},
		{selEF(0x0011), ok, none},
		{"00 20 00 80", apdu.RetriesLeft(0), nil},
		{verifyCmd(testTextPIN), apdu.SWAuthBlocked, nil},
		// Card face through 照合番号B still works, as face-auth readers do (§11.3).
		{selEF(0x0015), ok, none},
		{verifyCmd(testPINB), ok, none},
		{selEF(0x0002), ok, none},
		{"00 B0 00 00 07", ok, file(TextAttributes, 0, 7)},
		{selVisual, ok, none},
		{selEF(0x0012), ok, none},
		{verifyCmd(testPINB), ok, none},
		{selEF(0x0002), ok, none},
		{"00 B0 00 00 07", ok, file(VisualCardFace, 0, 7)},
		{selJuki, ok, none},
		{"00 20 00 9C", apdu.RetriesLeft(0), nil},
		{selCommon, ok, none},
		{"00 20 00 9C", apdu.RetriesLeft(0), nil},
	})

	s6A82 := faceAuthState(t, func(s *State) { s.Settings.AbsentSignCert = AbsentSignCert6A82 })
	c, err = New(s6A82)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, c, s6A82, []step{
		{selJPKI, ok, none},
		{selEF(0x0001), apdu.SWFileNotFound, nil},
		{selEF(0x001A), apdu.SWFileNotFound, nil},
		{"00 B0 81 00 04", apdu.SWFileNotFound, nil},
	})
}

func TestReverseFaceAuthAndReissue(t *testing.T) {
	ok := apdu.SWOK
	s := faceAuthState(t)
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	pins := PINSet{Auth: Secret("1111"), Text: Secret("2222"), Juki: Secret("3333"), Common: Secret("4444")}
	if err := c.Issue(func(s *State) error { return s.ReverseFaceAuth(pins) }); err != nil {
		t.Fatal(err)
	}
	if k := c.Snapshot().Kind; k != KindNoSignCert {
		t.Errorf("kind after reversal %q, want %q", k, KindNoSignCert)
	}
	runSteps(t, c, s, []step{
		{selJPKI, ok, none},
		{selEF(0x0018), ok, none},
		{"00 20 00 80", apdu.RetriesLeft(3), nil},
		{verifyCmd(pins.Auth), ok, none},
		{selEF(0x0017), ok, none},
		{"80 2A 00 80 01 00 00", ok, nil},
		{selEF(0x001B), ok, none},
		{"00 20 00 80", apdu.RetriesLeft(0), nil},
		{selText, ok, none},
		{selEF(0x0011), ok, none},
		{verifyCmd(pins.Text), ok, none},
		{selJuki, ok, none},
		{"00 20 00 9C 04 33333333", ok, none},
		{selCommon, ok, none},
		{"00 20 00 9C 04 34343434", ok, none},
	})

	// The municipality issues a new sign certificate.
	loadTestKeys()
	cert, key := testCert(testKeys.sign, "new sign"), testKeys.der[testKeys.sign]
	pass := Secret("NEWPASS1")
	if err := c.Issue(func(s *State) error { return s.InstallSignCert(cert, key, pass) }); err != nil {
		t.Fatal(err)
	}
	after := c.Snapshot()
	runSteps(t, c, after, []step{
		{selJPKI, ok, none},
		{selEF(0x0008), ok, none},
		{"00 B0 00 00 03", ok, bytesOf([]byte{0x8F, 0x8F, 0x00})},
		{selEF(0x001B), ok, none},
		{"00 20 00 80", apdu.RetriesLeft(5), nil},
		{verifyCmd(pass), ok, none},
		{selEF(0x0001), ok, none},
		{"00 B0 00 00 00", ok, bytesOf(cert[:256])},
	})
	if after.Kind != KindNormal {
		t.Errorf("kind after reissue %q, want %q", after.Kind, KindNormal)
	}
}

func TestIssuerOpErrors(t *testing.T) {
	loadTestKeys()
	s := NewTestState(t)
	if err := s.ReverseFaceAuth(PINSet{}); err == nil {
		t.Error("ReverseFaceAuth on a normal card succeeded")
	}
	fa := faceAuthState(t)
	if err := fa.ReverseFaceAuth(PINSet{Auth: Secret("12"), Text: Secret("1234"), Juki: Secret("1234"), Common: Secret("1234")}); err == nil {
		t.Error("ReverseFaceAuth with a 2-digit PIN succeeded")
	} else if strings.Contains(err.Error(), "12") && !strings.Contains(err.Error(), "2 characters") {
		t.Errorf("error may leak the PIN: %v", err)
	}
	if fa.PINs[JPKIAuthPIN].Remaining != 0 {
		t.Error("failed ReverseFaceAuth changed a counter")
	}
	if err := s.Unblock(TextBlockedKey, Secret("1234")); err == nil {
		t.Error("Unblock of text 0012 succeeded")
	}
	if err := s.Unblock(JPKIAuthPIN, Secret("12345")); err == nil {
		t.Error("Unblock with a 5-digit PIN succeeded")
	}
	if err := fa.Unblock(JPKISignPassword, Secret("ABC123")); err == nil {
		t.Error("Unblock of the sign password on a card without sign key succeeded")
	}
	other := testCert(testKeys.auth, "mismatch")
	if err := s.InstallSignCert(other, testKeys.der[testKeys.sign], Secret("ABC123")); err == nil {
		t.Error("InstallSignCert with a certificate for another key succeeded")
	}
	if err := s.InstallSignCert([]byte{1, 2}, testKeys.der[testKeys.sign], Secret("ABC123")); err == nil {
		t.Error("InstallSignCert with a bad certificate succeeded")
	}
	if err := s.InstallSignCert(testCert(testKeys.sign, "s"), testKeys.der[testKeys.sign], Secret("abc123")); err == nil {
		t.Error("InstallSignCert with a lower-case password succeeded")
	}
	if err := s.ExhaustPIN(Ref(AppJPKI, 0x0001)); err == nil {
		t.Error("ExhaustPIN of a non-key succeeded")
	}
}

func TestUnblockAndExhaust(t *testing.T) {
	c, s := newTestCard(t)
	if err := c.Issue(func(s *State) error { return s.ExhaustPIN(JPKIAuthPIN) }); err != nil {
		t.Fatal(err)
	}
	runSteps(t, c, s, []step{
		{selJPKI, apdu.SWOK, none},
		{"00 20 00 98", apdu.RetriesLeft(0), nil},
		{"00 20 00 98 04 31323334", apdu.SWAuthBlocked, nil},
	})
	if err := c.Issue(func(s *State) error { return s.Unblock(JPKIAuthPIN, Secret("9876")) }); err != nil {
		t.Fatal(err)
	}
	runSteps(t, c, s, []step{
		{"00 20 00 98", apdu.SWDataNotFound, nil}, // Issue ended the session: no AP
		{selJPKI, apdu.SWOK, none},
		{"00 20 00 98", apdu.RetriesLeft(3), nil},
		{"00 20 00 98 04 39383736", apdu.SWOK, none},
	})
}

func TestIssueClearsSecurityStatus(t *testing.T) {
	c, s := newTestCard(t)
	runSteps(t, c, s, []step{
		{selJPKI, apdu.SWOK, none},
		{"00 20 00 9B 06 " + hex.EncodeToString(testSignPass), apdu.SWOK, none},
		{"00 B0 81 00 04", apdu.SWOK, file(JPKISignCert, 0, 4)},
	})
	if err := c.Issue(func(*State) error { return nil }); err != nil {
		t.Fatal(err)
	}
	runSteps(t, c, s, []step{
		{selJPKI, apdu.SWOK, none},
		{"00 B0 81 00 04", apdu.SWSecurityNotSatisfied, nil},
	})
	// A failing operation leaves the card as it was.
	before := c.Snapshot()
	if err := c.Issue(func(s *State) error { s.PINs[JPKIAuthPIN].Remaining = 1; return errTest }); err == nil {
		t.Fatal("Issue returned nil for a failing op")
	}
	if err := c.Issue(func(s *State) error { s.PINs[JPKIAuthPIN].Max = 9; return nil }); err == nil {
		t.Fatal("Issue accepted an invalid state")
	}
	if got := c.Snapshot(); got.PINs[JPKIAuthPIN].Remaining != before.PINs[JPKIAuthPIN].Remaining || got.PINs[JPKIAuthPIN].Max != 3 {
		t.Error("failed Issue changed the card")
	}
}

func TestValidatePIN(t *testing.T) {
	tests := []struct {
		ref  FileRef
		v    string
		good bool
	}{
		{JPKIAuthPIN, "1234", true},
		{JPKIAuthPIN, "123", false},
		{JPKIAuthPIN, "12345", false},
		{JPKIAuthPIN, "12a4", false},
		{JPKISignPassword, "ABC123", true},
		{JPKISignPassword, "ABCDEFGHIJ123456", true},
		{JPKISignPassword, "ABC12", false},
		{JPKISignPassword, "ABCDEFGHIJ1234567", false},
		{JPKISignPassword, "abc123", false},
		{TextPIN, "0000", true},
		{TextPINA, "123456789018", true},
		{TextPINA, "12345678901", false},
		{TextPINB, "55021720352285", true},
		{VisualPINB, "5502172035228", false},
		{VisualPINA, "123456789018", true},
		{VisualDOBKey, "550217", true},
		{VisualDOBKey, "19800217", false},
		{JukiPIN, "1234", true},
		{CommonPIN, "12 4", false},
		{TextBlockedKey, "1234", false},
		{JPKIAuthCert, "1234", false},
	}
	for _, tt := range tests {
		err := ValidatePIN(tt.ref, []byte(tt.v))
		if (err == nil) != tt.good {
			t.Errorf("ValidatePIN(%v, %q) = %v, want ok=%v", tt.ref, tt.v, err, tt.good)
		}
	}
	if err := ValidatePIN(JPKIAuthPIN, []byte("12a4")); err == nil || !strings.Contains(err.Error(), "character 3 ") {
		t.Errorf("ValidatePIN(12a4) = %v, want the third character named", err)
	}
}

func TestNewRejectsBadStates(t *testing.T) {
	tests := []struct {
		name string
		edit func(*State)
		want string
	}{
		{"format version", func(s *State) { s.FormatVersion = 2 }, "format_version 2"},
		{"settings", func(s *State) { s.Settings.BlockedQuery = BlockedQuery6984 + 1 }, "blocked_query"},
		{"collation tries", func(s *State) { s.Settings.CollationTries = 0 }, "collation_tries"},
		{"ATR", func(s *State) { s.ATR = []byte{0x00} }, "atr"},
		{"file at a key ref", func(s *State) { s.Files[JPKIAuthPIN] = []byte{1} }, "files jpki/0018"},
		{"unknown file", func(s *State) { s.Files[Ref(AppJPKI, 0x0C)] = []byte{1} }, "files jpki/000C"},
		{"file of no application", func(s *State) { s.Files[Ref(App(6), 0x01)] = []byte{1} }, "files app(6)/0001"},
		{"empty file", func(s *State) { s.Files[JPKIToken] = nil }, "files jpki/0006"},
		{"huge file", func(s *State) { s.Files[JPKIToken] = make([]byte, 0x8001) }, "files jpki/0006"},
		{"bad records", func(s *State) { s.Files[CommonSerial] = []byte{0x01, 0x05, 0x00} }, "common/0001"},
		{"key at a data EF", func(s *State) { s.Keys[JPKIAuthCert] = []byte{1} }, "keys jpki/000A"},
		{"unparsable key", func(s *State) { s.Keys[JPKIAuthKey] = []byte{1, 2, 3} }, "key jpki/0017"},
		{"PIN at a data EF", func(s *State) { s.PINs[JPKIAuthCert] = &PIN{} }, "pins jpki/000A"},
		{"wrong max", func(s *State) { s.PINs[JPKIAuthPIN].Max = 5 }, "max 5, want 3"},
		{"remaining above max", func(s *State) { s.PINs[TextPIN].Remaining = 4 }, "remaining 4"},
		{"0012 not blocked", func(s *State) { s.PINs[TextBlockedKey].Remaining = 1 }, "0012"},
		{"bad PIN value", func(s *State) { s.PINs[TextPINA].Value = Secret("1") }, "text/0014"},
		{"nil PIN", func(s *State) { s.PINs[JukiPIN] = nil }, "juki/001C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewTestState(t)
			tt.edit(s)
			_, err := New(s)
			if err == nil {
				t.Fatal("New accepted the state")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
	if _, err := New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
}

// A key that is not RSA-2048 is refused with its reference named.
func TestNewRejectsShortKey(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	s := NewTestState(t)
	s.Keys[JPKIAuthKey] = der
	if _, err := New(s); err == nil || !strings.Contains(err.Error(), "jpki/0017") || !strings.Contains(err.Error(), "1024") {
		t.Errorf("New with a 1024-bit key: %v", err)
	}
}

var errTest = errors.New("test failure")

// A card file may hold no sign password at all; installing a sign
// certificate then creates it with the password given and a full counter.
func TestInstallSignCertCreatesPassword(t *testing.T) {
	s := NewTestState(t)
	delete(s.PINs, JPKISignPassword)
	if err := s.InstallSignCert(s.Files[JPKISignCert], s.Keys[JPKISignKey], Secret("NEWPASS1")); err != nil {
		t.Fatal(err)
	}
	want := &PIN{Value: Secret("NEWPASS1"), Max: MaxTries(JPKISignPassword, s.Settings), Remaining: MaxTries(JPKISignPassword, s.Settings)}
	if got := s.PINs[JPKISignPassword]; got == nil || !bytes.Equal(got.Value, want.Value) || got.Max != want.Max || got.Remaining != want.Remaining || want.Max != 5 {
		t.Errorf("sign password %+v, want %+v (max 5, card.md §7.1)", got, want)
	}
}

// An ATR has 2 to 33 bytes (ISO 7816-3) and starts 3B or 3F; the stored
// ATR of GET DATA may also be absent.
func TestATRLengths(t *testing.T) {
	atr := func(n int) []byte { return append([]byte{0x3B}, make([]byte, n-1)...) }
	for _, tt := range []struct {
		atr, stored []byte
		ok          bool
	}{
		{atr(2), nil, true},
		{atr(33), atr(33), true},
		{atr(1), nil, false},
		{atr(34), nil, false},
		{atr(19), atr(2), true},
		{atr(19), atr(1), false},
		{atr(19), atr(34), false},
		{[]byte{0x3F, 0x00}, nil, true},
		{[]byte{0x3B, 0x00}, []byte{0x3F, 0x00}, true},
		{[]byte{0x00, 0x00, 0x00}, nil, false},
		{atr(19), []byte{0x00, 0x00, 0x00}, false},
	} {
		s := NewTestState(t)
		s.ATR, s.StoredATR = tt.atr, tt.stored
		if _, err := New(s); (err == nil) != tt.ok {
			t.Errorf("ATR of %d bytes, stored %d: New error %v, want ok=%v", len(tt.atr), len(tt.stored), err, tt.ok)
		}
	}
}

// A key reference is blocked when its counter has a limit and is used up.
func TestPINBlocked(t *testing.T) {
	for _, tt := range []struct {
		p    PIN
		want bool
	}{{PIN{Max: 3, Remaining: 0}, true}, {PIN{Max: 3, Remaining: 1}, false}, {PIN{Max: 0, Remaining: 0}, false}} {
		if got := tt.p.Blocked(); got != tt.want {
			t.Errorf("%+v.Blocked() = %v, want %v", tt.p, got, tt.want)
		}
	}
}

// A session key needs text EF 0006 to hold its public half; a card
// without secure messaging has neither.
func TestSessionKeyNeedsItsPublicKey(t *testing.T) {
	for _, tt := range []struct {
		key []byte
		ok  bool
	}{{nil, true}, {[]byte{1}, false}} {
		s := NewTestState(t)
		delete(s.Files, TextSMKey)
		s.SessionKey = tt.key
		if _, err := New(s); (err == nil) != tt.ok || err != nil && !strings.Contains(err.Error(), "session_key") {
			t.Errorf("session key %X without text 0006: New error %v, want ok=%v", tt.key, err, tt.ok)
		}
	}
}

// An EF holds at most maxEFSize bytes: that many is accepted.
func TestLargestEF(t *testing.T) {
	s := NewTestState(t)
	s.Files[JPKIToken] = make([]byte, maxEFSize)
	if _, err := New(s); err != nil {
		t.Errorf("EF of %d bytes: %v", maxEFSize, err)
	}
}
