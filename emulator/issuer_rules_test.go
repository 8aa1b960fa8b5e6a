package emulator

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestIssuerRules holds the municipal flows of card.md §7 and §11 as a
// table: what each operation does to a card of each kind, and which it
// refuses with which message. A refused operation leaves the card as it was.
func TestIssuerRules(t *testing.T) {
	loadTestKeys()
	normal := func(t *testing.T) *State { return NewTestState(t) }
	faceAuth := func(t *testing.T) *State { return faceAuthState(t) }
	kind := func(k Kind) func(*testing.T) *State {
		return func(t *testing.T) *State { s := NewTestState(t); s.Kind = k; return s }
	}
	blocked := func(t *testing.T) *State {
		s := NewTestState(t)
		if err := s.ExhaustPIN(JPKIAuthPIN); err != nil {
			t.Fatal(err)
		}
		return s
	}
	young := func(t *testing.T) *State {
		s := NewTestState(t)
		s.Holder.BirthDate = time.Date(2010, 1, 2, 0, 0, 0, 0, time.UTC) // 15 on 2025-01-02
		return s
	}
	install := func(s *State) error {
		return s.InstallSignCert(testCert(testKeys.sign, "new"), testKeys.der[testKeys.sign], Secret("NEWPASS1"))
	}
	unblock := func(ref FileRef, v string) func(*State) error {
		return func(s *State) error {
			var value Secret
			if v != "" {
				value = Secret(v)
			}
			return s.Unblock(ref, value)
		}
	}
	pins := PINSet{Auth: Secret("1111"), Text: Secret("2222"), Juki: Secret("3333"), Common: Secret("4444")}
	for _, tc := range []struct {
		name  string
		card  func(*testing.T) *State
		op    func(*State) error
		want  string // substring of the error; "" means success
		kind  Kind   // kind after success
		check func(*testing.T, *State)
	}{
		{"face-auth of a normal card", normal, func(s *State) error { return s.ConvertToFaceAuth(rand.Reader) }, "", KindFaceAuth, nil},
		{"face-auth twice", faceAuth, func(s *State) error { return s.ConvertToFaceAuth(rand.Reader) }, `already "face-auth"`, "", nil},
		{"face-auth of expired certificates", kind(KindExpiredCerts), func(s *State) error { return s.ConvertToFaceAuth(rand.Reader) }, "auth certificate has expired", "", nil},
		{"face-auth of a blocked card", blocked, func(s *State) error { return s.ConvertToFaceAuth(rand.Reader) }, "", KindFaceAuth, nil},
		{"sign certificate on face-auth", faceAuth, install, "until the municipality reverses it", "", nil},
		{"sign certificate after reversal", faceAuth, func(s *State) error {
			if err := s.ReverseFaceAuth(pins); err != nil {
				return err
			}
			return install(s)
		}, "", KindNormal, nil},
		{"reversal", faceAuth, func(s *State) error { return s.ReverseFaceAuth(pins) }, "", KindNoSignCert, nil},
		{"sign certificate replaced", normal, install, "", KindNormal, nil},
		{"sign certificate on a blocked card", blocked, install, "", KindPINBlocked, nil},
		{"sign certificate on expired certificates", kind(KindExpiredCerts), install, "", KindExpiredCerts, nil},
		{"sign certificate under 15", young, install, "under 15 on 2024-01-01", "", nil},
		{"unblock the blocked auth PIN", blocked, unblock(JPKIAuthPIN, "9876"), "", KindNormal, func(t *testing.T, s *State) {
			if p := s.PINs[JPKIAuthPIN]; p.Remaining != 3 || string(p.Value) != "9876" {
				t.Errorf("auth PIN %d tries left", p.Remaining)
			}
		}},
		{"unblock another PIN of a blocked card", blocked, unblock(TextPIN, "9876"), "", KindPINBlocked, nil},
		{"unblock a PIN of a face-auth card", faceAuth, unblock(JPKIAuthPIN, "9876"), "stays locked until the card is reversed", "", nil},
		{"unblock the juki PIN of a face-auth card", faceAuth, unblock(JukiPIN, "9876"), "juki/001C of a face-auth card", "", nil},
		{"照合番号A of a face-auth card", faceAuth, unblock(TextPINA, ""), "", KindFaceAuth, nil},
		{"照合番号A implied", normal, unblock(TextPINA, ""), "", KindNormal, func(t *testing.T, s *State) {
			if got := string(s.PINs[TextPINA].Value); got != string(testMyNumber) {
				t.Errorf("照合番号A %q, want the My Number", got)
			}
		}},
		{"照合番号A given right", normal, unblock(VisualPINA, string(testMyNumber)), "", KindNormal, nil},
		{"照合番号A given wrong", normal, unblock(TextPINA, "123456789013"), "not the one the card's data implies: 照合番号A is the My Number", "", nil},
		{"照合番号B given right", normal, unblock(TextPINB, "55021720352285"), "", KindNormal, nil},
		{"照合番号B with a Gregorian birth date", normal, unblock(VisualPINB, "80021720352285"), "visual/0012", "", nil},
		{"照合番号B with another security code", normal, unblock(TextPINB, "55021720350000"), "not the one", "", nil},
		{"birth-date key implied", normal, unblock(VisualDOBKey, ""), "", KindNormal, func(t *testing.T, s *State) {
			if got := string(s.PINs[VisualDOBKey].Value); got != "550217" {
				t.Errorf("birth-date key %q, want 550217", got)
			}
		}},
		{"照合番号B without holder data", func(t *testing.T) *State { s := NewTestState(t); s.Holder.SecurityCode = ""; return s },
			unblock(TextPINB, ""), "holder data gives no value for text/0015", "", nil},
		{"a PIN without a value", normal, unblock(JukiPIN, ""), "give the new value for juki/001C", "", nil},
		{"text 0012", normal, unblock(TextBlockedKey, ""), "blocked on every card", "", nil},
		{"unknown key reference", normal, unblock(Ref(AppJPKI, 0x0099), "1234"), "unknown key reference jpki/0099", "", nil},
		{"a file", normal, unblock(JPKIAuthCert, "1234"), "jpki/000A is a file, not a key reference", "", nil},
		{"a key the card lacks", func(t *testing.T) *State { s := NewTestState(t); delete(s.PINs, CommonPIN); return s },
			unblock(CommonPIN, "1234"), "card has no key common/001C", "", nil},
		{"exhaust an unknown key", normal, func(s *State) error { return s.ExhaustPIN(Ref(AppText, 0x0099)) }, "unknown key reference text/0099", "", nil},
		{"exhaust the text PIN", normal, func(s *State) error { return s.ExhaustPIN(TextPIN) }, "", KindPINBlocked, nil},
		{"exhaust 照合番号A", normal, func(s *State) error { return s.ExhaustPIN(TextPINA) }, "", KindNormal, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.card(t)
			before, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.op(s)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one containing %q", err, tc.want)
				}
				after, _ := json.Marshal(s)
				if d := cmp.Diff(string(before), string(after)); d != "" {
					t.Errorf("refused operation changed the card")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != tc.kind {
				t.Errorf("kind %q, want %q", s.Kind, tc.kind)
			}
			if err := s.Validate(); err != nil {
				t.Error(err)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

// The age limit counts from the 15th birthday itself (card.md §10).
func TestSignCertIssuableAge(t *testing.T) {
	s := NewTestState(t)
	s.Holder.BirthDate = time.Date(2010, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		day time.Time
		ok  bool
	}{
		{time.Date(2025, 1, 1, 23, 59, 0, 0, time.UTC), false},
		{time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), true},
	} {
		if err := s.SignCertIssuable(tc.day); (err == nil) != tc.ok {
			t.Errorf("SignCertIssuable(%v) = %v, want ok=%v", tc.day, err, tc.ok)
		}
	}
	s.Holder.BirthDate = time.Time{}
	if err := s.SignCertIssuable(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("no birth date on file: %v", err)
	}
}
