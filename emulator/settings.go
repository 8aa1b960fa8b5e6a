package emulator

import "fmt"

// Settings are the behaviours card.md marks UNCERTAIN (card.md §14). Each is
// one named choice, documented in docs/uncertain.md; DefaultSettings gives
// the choice the emulator makes unless a card file says otherwise. In a
// card file each choice is its text ("63C0", "retries", …).
type Settings struct {
	// CollationTries is the retry limit of 照合番号A, 照合番号B and the
	// visual AP's birth-date key (card.md §7.1: unknown; 10 per a secondary note).
	CollationTries int `json:"collation_tries"`
	// BlockedQuery is the answer to an empty VERIFY on a blocked key.
	BlockedQuery BlockedQuery `json:"blocked_query"`
	// QueryAfterVerify is the answer to an empty VERIFY on a key already
	// verified in this session.
	QueryAfterVerify QueryAfterVerify `json:"query_after_verify"`
	// FaceAuthLock is how a face-auth card's 4-digit PINs are locked.
	FaceAuthLock FaceAuthLock `json:"face_auth_lock"`
	// AbsentSignCert is what a card without a signing certificate answers
	// for JPKI EF 0001.
	AbsentSignCert AbsentSignCert `json:"absent_sign_cert"`
	// ExtendedReadBinary lets READ BINARY honour an extended Le (the python
	// client reads a whole certificate in one command).
	ExtendedReadBinary bool `json:"extended_read_binary"`
	// SelectFCI makes SELECT with P2=00 answer an FCI template (84 <DF name>)
	// instead of 6A86.
	SelectFCI bool `json:"select_fci"`
	// SMOtherCommands is the answer, inside a text-AP secure-messaging
	// session, to an SM command other than SELECT, VERIFY and READ BINARY.
	SMOtherCommands SMOtherCommands `json:"sm_other_commands,omitempty"`
}

// The zero value of each choice is "unset", which Validate refuses, so a
// card file that leaves a setting out is refused as it always was.

// BlockedQuery is the answer to an empty VERIFY on a blocked key.
type BlockedQuery uint8

const (
	BlockedQuery63C0 BlockedQuery = iota + 1 // "63C0": observed on text 0012; OpenSC binds
	BlockedQuery6984                         // "6984"
)

// QueryAfterVerify is the answer to an empty VERIFY on a key verified in
// this session.
type QueryAfterVerify uint8

const (
	QueryAfterVerifyRetries QueryAfterVerify = iota + 1 // "retries": 63Cx, what OpenSC needs
	QueryAfterVerify9000                                // "9000"
)

// FaceAuthLock is how a face-auth card's 4-digit PINs are locked.
type FaceAuthLock uint8

const (
	// FaceAuthExhaustedCounter ("exhausted-counter"): a random value and a
	// counter at 0, so empty VERIFY answers 63C0 and VERIFY 6984 (card.md §11.2).
	FaceAuthExhaustedCounter FaceAuthLock = iota + 1
)

// AbsentSignCert is what a card without a sign certificate answers for
// JPKI EF 0001.
type AbsentSignCert uint8

const (
	AbsentSignCert6982 AbsentSignCert = iota + 1 // "6982": EF present, password never verifiable
	AbsentSignCert6A82                           // "6A82": EF missing on SELECT
)

var (
	blockedQueryText     = choice[BlockedQuery]{"blocked_query", []string{"63C0", "6984"}}
	queryAfterVerifyText = choice[QueryAfterVerify]{"query_after_verify", []string{"retries", "9000"}}
	faceAuthLockText     = choice[FaceAuthLock]{"face_auth_lock", []string{"exhausted-counter"}}
	absentSignCertText   = choice[AbsentSignCert]{"absent_sign_cert", []string{"6982", "6A82"}}
)

func (v BlockedQuery) String() string                { return blockedQueryText.String(v) }
func (v BlockedQuery) MarshalText() ([]byte, error)  { return blockedQueryText.marshal(v) }
func (v *BlockedQuery) UnmarshalText(b []byte) error { return blockedQueryText.unmarshal(v, b) }

func (v QueryAfterVerify) String() string                { return queryAfterVerifyText.String(v) }
func (v QueryAfterVerify) MarshalText() ([]byte, error)  { return queryAfterVerifyText.marshal(v) }
func (v *QueryAfterVerify) UnmarshalText(b []byte) error { return queryAfterVerifyText.unmarshal(v, b) }

func (v FaceAuthLock) String() string                { return faceAuthLockText.String(v) }
func (v FaceAuthLock) MarshalText() ([]byte, error)  { return faceAuthLockText.marshal(v) }
func (v *FaceAuthLock) UnmarshalText(b []byte) error { return faceAuthLockText.unmarshal(v, b) }

func (v AbsentSignCert) String() string                { return absentSignCertText.String(v) }
func (v AbsentSignCert) MarshalText() ([]byte, error)  { return absentSignCertText.marshal(v) }
func (v *AbsentSignCert) UnmarshalText(b []byte) error { return absentSignCertText.unmarshal(v, b) }

// DefaultSettings returns the emulator's documented choices.
func DefaultSettings() Settings {
	return Settings{
		CollationTries:     10,
		BlockedQuery:       BlockedQuery63C0,
		QueryAfterVerify:   QueryAfterVerifyRetries,
		FaceAuthLock:       FaceAuthExhaustedCounter,
		AbsentSignCert:     AbsentSignCert6982,
		ExtendedReadBinary: true,
		SelectFCI:          true,
		SMOtherCommands:    SMOther69FC,
	}
}

// Validate reports the first field holding a value the emulator does not
// implement.
func (s Settings) Validate() error {
	if s.CollationTries < 1 || s.CollationTries > 15 {
		return fmt.Errorf("settings: collation_tries %d: want 1..15 (63Cx shows at most 15)", s.CollationTries)
	}
	for _, err := range []error{
		blockedQueryText.validate(s.BlockedQuery),
		queryAfterVerifyText.validate(s.QueryAfterVerify),
		faceAuthLockText.validate(s.FaceAuthLock),
		absentSignCertText.validate(s.AbsentSignCert),
		smOtherText.validateOptional(s.SMOtherCommands),
	} {
		if err != nil {
			return fmt.Errorf("settings: %w", err)
		}
	}
	return nil
}

// SMOtherCommands is the answer, inside a text-AP secure-messaging session,
// to an SM command other than SELECT, VERIFY and READ BINARY, which no
// source shows (card.md §4.2). Unlike the other choices it may be unset: a
// card file made before secure messaging gets SMOther69FC.
type SMOtherCommands uint8

const (
	// SMOther69FC ("69FC"): refused as outside a session; the session and
	// its counter are untouched.
	SMOther69FC SMOtherCommands = iota + 1
	// SMOther6988 ("6988"): an SM error, which ends the session.
	SMOther6988
)

var smOtherText = choice[SMOtherCommands]{"sm_other_commands", []string{"69FC", "6988"}}

func (v SMOtherCommands) String() string                { return smOtherText.String(v) }
func (v SMOtherCommands) MarshalText() ([]byte, error)  { return smOtherText.marshal(v) }
func (v *SMOtherCommands) UnmarshalText(b []byte) error { return smOtherText.unmarshal(v, b) }
