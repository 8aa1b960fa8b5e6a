package emulator

import "fmt"

// Settings are the behaviours card.md marks UNCERTAIN (card.md §14). Each is
// one named choice, documented in docs/uncertain.md; DefaultSettings gives
// the choice the emulator makes unless a card file says otherwise.
type Settings struct {
	// CollationTries is the retry limit of 照合番号A, 照合番号B and the
	// visual AP's birth-date key (card.md §7.1: unknown; 10 per a secondary note).
	CollationTries int `json:"collation_tries"`
	// BlockedQuery is the answer to an empty VERIFY on a blocked key:
	// "63C0" (observed on text 0012; OpenSC binds) or "6984".
	BlockedQuery string `json:"blocked_query"`
	// QueryAfterVerify is the answer to an empty VERIFY on a key already
	// verified in this session: "retries" (63Cx, what OpenSC needs) or "9000".
	QueryAfterVerify string `json:"query_after_verify"`
	// FaceAuthLock is how a face-auth card's 4-digit PINs are locked:
	// "exhausted-counter" = random value, counter at 0, so empty VERIFY
	// answers 63C0 and VERIFY 6984 (card.md §11.2).
	FaceAuthLock string `json:"face_auth_lock"`
	// AbsentSignCert is what a card without a signing certificate answers
	// for JPKI EF 0001: "6982" (EF present, password never verifiable) or
	// "6A82" (EF missing on SELECT).
	AbsentSignCert string `json:"absent_sign_cert"`
	// ExtendedReadBinary lets READ BINARY honour an extended Le (the python
	// client reads a whole certificate in one command).
	ExtendedReadBinary bool `json:"extended_read_binary"`
	// SelectFCI makes SELECT with P2=00 answer an FCI template (84 <DF name>)
	// instead of 6A86.
	SelectFCI bool `json:"select_fci"`
}

// DefaultSettings returns the emulator's documented choices.
func DefaultSettings() Settings {
	return Settings{
		CollationTries:     10,
		BlockedQuery:       "63C0",
		QueryAfterVerify:   "retries",
		FaceAuthLock:       "exhausted-counter",
		AbsentSignCert:     "6982",
		ExtendedReadBinary: true,
		SelectFCI:          true,
	}
}

// Validate reports the first field holding a value the emulator does not
// implement.
func (s Settings) Validate() error {
	bad := func(field, v, want string) error {
		return fmt.Errorf("settings: %s %q: want %s", field, v, want)
	}
	switch {
	case s.CollationTries < 1 || s.CollationTries > 15:
		return fmt.Errorf("settings: collation_tries %d: want 1..15 (63Cx shows at most 15)", s.CollationTries)
	case s.BlockedQuery != "63C0" && s.BlockedQuery != "6984":
		return bad("blocked_query", s.BlockedQuery, `"63C0" or "6984"`)
	case s.QueryAfterVerify != "retries" && s.QueryAfterVerify != "9000":
		return bad("query_after_verify", s.QueryAfterVerify, `"retries" or "9000"`)
	case s.FaceAuthLock != "exhausted-counter":
		return bad("face_auth_lock", s.FaceAuthLock, `"exhausted-counter"`)
	case s.AbsentSignCert != "6982" && s.AbsentSignCert != "6A82":
		return bad("absent_sign_cert", s.AbsentSignCert, `"6982" or "6A82"`)
	}
	return nil
}
