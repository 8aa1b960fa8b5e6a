package emulator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The card-file text of each setting is what format_version 1 has always
// written: typed settings change no card file. sm_other_commands, added
// later, is left out when unset, as in the files from before it.
func TestSettingsJSONText(t *testing.T) {
	s := DefaultSettings()
	s.BlockedQuery, s.QueryAfterVerify, s.AbsentSignCert = BlockedQuery6984, QueryAfterVerify9000, AbsentSignCert6A82
	s.SMOtherCommands = 0
	for _, tt := range []struct {
		s    Settings
		want string
	}{
		{DefaultSettings(), `{"collation_tries":10,"blocked_query":"63C0","query_after_verify":"retries","face_auth_lock":"exhausted-counter","absent_sign_cert":"6982","extended_read_binary":true,"select_fci":true,"sm_other_commands":"69FC"}`},
		{s, `{"collation_tries":10,"blocked_query":"6984","query_after_verify":"9000","face_auth_lock":"exhausted-counter","absent_sign_cert":"6A82","extended_read_binary":true,"select_fci":true}`},
	} {
		b, err := json.Marshal(tt.s)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, string(b)); d != "" {
			t.Errorf("JSON (-want +got):\n%s", d)
		}
		var back Settings
		if err := json.Unmarshal(b, &back); err != nil || back != tt.s {
			t.Errorf("read back %+v, %v; want %+v", back, err, tt.s)
		}
	}
}

func TestSettingsRefused(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{"blocked_query":"6983"}`, `blocked_query "6983": want "63C0" or "6984"`},
		{`{"query_after_verify":"RETRIES"}`, `query_after_verify "RETRIES": want "retries" or "9000"`},
		{`{"face_auth_lock":"random"}`, `face_auth_lock "random": want "exhausted-counter"`},
		{`{"absent_sign_cert":6982}`, "absent_sign_cert"},
		{`{"sm_other_commands":"6987"}`, `sm_other_commands "6987": want "69FC" or "6988"`},
	}
	for _, tt := range tests {
		var s Settings
		if err := json.Unmarshal([]byte(tt.json), &s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %s", tt.json, err, tt.want)
		}
	}
	// A setting left out stays unset, which Validate refuses, except the
	// one added after card files existed.
	s := DefaultSettings()
	s.SMOtherCommands = 0
	if err := s.Validate(); err != nil {
		t.Errorf("Validate with sm_other_commands unset: %v", err)
	}
	s.AbsentSignCert = 0
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), `absent_sign_cert "": want "6982" or "6A82"`) {
		t.Errorf("Validate of an unset setting: %v", err)
	}
}

// collation_tries runs 1..15: 63Cx cannot show more than 15 tries.
func TestSettingsCollationTriesRange(t *testing.T) {
	for n, ok := range map[int]bool{0: false, 1: true, 15: true, 16: false} {
		s := DefaultSettings()
		s.CollationTries = n
		if err := s.Validate(); (err == nil) != ok {
			t.Errorf("collation_tries %d: Validate = %v, want ok=%v", n, err, ok)
		}
	}
}

// A setting prints as its card-file text; unset or unknown values print
// as the field and the number.
func TestSettingsString(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{BlockedQuery63C0.String(), "63C0"},
		{BlockedQuery6984.String(), "6984"},
		{BlockedQuery(0).String(), "blocked_query(0)"},
		{BlockedQuery(3).String(), "blocked_query(3)"},
		{FaceAuthExhaustedCounter.String(), "exhausted-counter"},
		{SMOther6988.String(), "6988"},
	} {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
}
