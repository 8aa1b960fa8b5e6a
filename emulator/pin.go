package emulator

import (
	"crypto/subtle"
	"fmt"

	"github.com/mynacard/mynacard/apdu"
)

// Secrets and retry counters (card.md §7): VERIFY, CHANGE REFERENCE DATA and
// JICSAP CHANGE KEY.

// secretFormat describes the values a key reference accepts.
type secretFormat struct {
	what       string
	minLen     int
	maxLen     int
	alnumUpper bool // A–Z and 0–9; otherwise digits only
}

var (
	fourDigits   = secretFormat{what: "4 digits", minLen: 4, maxLen: 4}
	signPassword = secretFormat{what: "6–16 characters A–Z, 0–9", minLen: 6, maxLen: 16, alnumUpper: true}
	collationA   = secretFormat{what: "12 digits (照合番号A)", minLen: 12, maxLen: 12}
	collationB   = secretFormat{what: "14 digits (照合番号B)", minLen: 14, maxLen: 14}
	birthDate    = secretFormat{what: "6 digits (和暦 YYMMDD)", minLen: 6, maxLen: 6}
)

// secretSpec is what card.md §7.1 says about one key reference.
type secretSpec struct {
	format secretFormat
	// tries is the retry limit; collation means Settings.CollationTries.
	tries     int
	collation bool
	// changeINS is the instruction that changes the value from the card
	// (00 24 or JICSAP 80 32); 0 if the holder cannot change it.
	changeINS byte
}

var secretSpecs = map[FileRef]secretSpec{
	JPKIAuthPIN:      {format: fourDigits, tries: 3, changeINS: apdu.INSChangeReferenceData},
	JPKISignPassword: {format: signPassword, tries: 5, changeINS: apdu.INSChangeReferenceData},
	TextPIN:          {format: fourDigits, tries: 3, changeINS: apdu.INSChangeReferenceData},
	TextPINA:         {format: collationA, collation: true},
	TextPINB:         {format: collationB, collation: true},
	VisualDOBKey:     {format: birthDate, collation: true},
	VisualPINB:       {format: collationB, collation: true},
	VisualPINA:       {format: collationA, collation: true},
	JukiPIN:          {format: fourDigits, tries: 3, changeINS: apdu.INSChangeKey},
	CommonPIN:        {format: fourDigits, tries: 3, changeINS: apdu.INSChangeKey},
}

// ValidatePIN checks v against the format of key reference ref (card.md §7.1).
// Text AP 0012 accepts no value: it is blocked on every card.
func ValidatePIN(ref FileRef, v []byte) error {
	if ref == TextBlockedKey {
		return fmt.Errorf("emulator: key %v is blocked on every card and takes no value", ref)
	}
	sp, ok := secretSpecs[ref]
	if !ok {
		return fmt.Errorf("emulator: %v is not a PIN key reference", ref)
	}
	f := sp.format
	if len(v) < f.minLen || len(v) > f.maxLen {
		return fmt.Errorf("emulator: value for %v has %d characters, want %s", ref, len(v), f.what)
	}
	for i, b := range v {
		if b >= '0' && b <= '9' || f.alnumUpper && b >= 'A' && b <= 'Z' {
			continue
		}
		return fmt.Errorf("emulator: value for %v: character %d is not allowed, want %s", ref, i+1, f.what)
	}
	return nil
}

// MaxTries is the retry limit of key reference ref under settings st
// (card.md §7.1), or 0 if ref is not a key reference with a fixed limit.
func MaxTries(ref FileRef, st Settings) int {
	sp, ok := secretSpecs[ref]
	switch {
	case !ok:
		return 0
	case sp.collation:
		return st.CollationTries
	}
	return sp.tries
}

// validatePINs checks each key reference's value and counter against §7.1.
func validatePINs(s *State) error {
	for ref, p := range s.PINs {
		if p == nil {
			return fmt.Errorf("pin %v: missing", ref)
		}
		if p.Remaining < 0 || p.Remaining > p.Max {
			return fmt.Errorf("pin %v: remaining %d outside 0..max %d", ref, p.Remaining, p.Max)
		}
		if ref == TextBlockedKey {
			if !p.Blocked() {
				return fmt.Errorf("pin %v: must be blocked (max > 0, remaining 0) as on every card", ref)
			}
			continue
		}
		if want := MaxTries(ref, s.Settings); p.Max != want {
			return fmt.Errorf("pin %v: max %d, want %d", ref, p.Max, want)
		}
		if err := ValidatePIN(ref, p.Value); err != nil {
			return fmt.Errorf("pin %v: %w", ref, err)
		}
	}
	return nil
}

// keyRef resolves the P2 of VERIFY and CHANGE: 80 names the current EF,
// 80|SFI the EF with that short identifier in the current application.
func (c *Card) keyRef(p2 byte) (*node, apdu.SW) {
	switch {
	case p2 == apdu.CurrentEF:
		if c.cur == nil {
			return nil, apdu.SWNoCurrentEF
		}
		return c.cur, apdu.SWOK
	case p2&0xE0 == 0x80:
		n := c.fs.get(c.app, uint16(p2&0x1F))
		if n == nil {
			return nil, apdu.SWDataNotFound
		}
		return n, apdu.SWOK
	}
	return nil, apdu.SWIncorrectP1P2
}

// keyFor resolves the key of a command with P1=00 whose P2 names a key
// (keyRef) that must be of kind k, as VERIFY and INTERNAL AUTHENTICATE do.
func (c *Card) keyFor(cmd apdu.Command, k efKind) (*node, apdu.SW) {
	if cmd.P1 != 0x00 {
		return nil, apdu.SWIncorrectP1P2
	}
	n, sw := c.keyRef(cmd.P2)
	switch {
	case sw != apdu.SWOK:
		return nil, sw
	case n.kind != k:
		return nil, apdu.SWIncompatibleFile
	}
	return n, apdu.SWOK
}

// verify implements VERIFY 00 20 00 P2 [Lc data]. No data asks for the
// retry counter without spending a try. A wrong value is charged to the
// counter, and the counter saved, before the comparison.
func (c *Card) verify(cmd apdu.Command) ([]byte, apdu.SW) {
	n, sw := c.keyFor(cmd, efPIN)
	if sw != apdu.SWOK {
		return nil, sw
	}
	p := n.pin
	bit := uint32(1) << n.fid
	if len(cmd.Data) == 0 {
		switch {
		case p.Blocked():
			if c.state.Settings.BlockedQuery == BlockedQuery6984 {
				return nil, apdu.SWAuthBlocked
			}
			return nil, apdu.RetriesLeft(0)
		case c.verified&bit != 0 && c.state.Settings.QueryAfterVerify == QueryAfterVerify9000:
			return nil, apdu.SWOK
		}
		return nil, apdu.RetriesLeft(p.Remaining)
	}
	if p.Blocked() {
		return nil, apdu.SWAuthBlocked
	}
	c.verified &^= bit
	p.Remaining--
	if err := c.persist(); err != nil {
		// The try was never compared, so it is given back: a full disk
		// must not burn tries (and block the card) that later saves
		// would write out.
		p.Remaining++
		return nil, apdu.SWMemoryFailure
	}
	if subtle.ConstantTimeCompare(cmd.Data, p.Value) != 1 {
		return nil, apdu.RetriesLeft(p.Remaining)
	}
	p.Remaining = p.Max
	if err := c.persist(); err != nil {
		return nil, apdu.SWMemoryFailure
	}
	c.verified |= bit
	return nil, apdu.SWOK
}

// changeSecret implements CHANGE REFERENCE DATA 00 24 01 P2 and JICSAP
// CHANGE KEY 80 32 00 P2: the new value replaces the old one of a key
// verified in this session.
func (c *Card) changeSecret(cmd apdu.Command) ([]byte, apdu.SW) {
	wantP1 := apdu.NewValueOnly
	if cmd.INS == apdu.INSChangeKey {
		wantP1 = 0x00
	}
	if cmd.P1 != wantP1 {
		return nil, apdu.SWIncorrectP1P2
	}
	n, sw := c.keyRef(cmd.P2)
	if sw != apdu.SWOK {
		return nil, sw
	}
	if n.kind != efPIN {
		return nil, apdu.SWIncompatibleFile
	}
	if secretSpecs[n.ref].changeINS != cmd.INS {
		return nil, apdu.SWConditionsNotMet
	}
	if c.verified&(1<<n.fid) == 0 {
		return nil, apdu.SWSecurityNotSatisfied
	}
	if len(cmd.Data) == 0 {
		return nil, apdu.SWWrongLength
	}
	if ValidatePIN(n.ref, cmd.Data) != nil {
		return nil, apdu.SWWrongData
	}
	p := n.pin
	old := p.Value
	p.Value = Secret(append([]byte(nil), cmd.Data...))
	if err := c.persist(); err != nil {
		p.Value = old
		return nil, apdu.SWMemoryFailure
	}
	return nil, apdu.SWOK
}

// SetTriesLeft sets the retry counter of key ref to n, from 0 (blocked) to
// the key's limit, while the session goes on: the holder might have spent
// the tries at another terminal. A test harness uses it to block a PIN under
// a client that keeps its connection. The key is no longer verified in this
// session, as after a wrong VERIFY.
func (c *Card) SetTriesLeft(ref FileRef, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.state.PINs[ref]
	switch {
	case p == nil:
		return fmt.Errorf("emulator: card has no key %v", ref)
	case n < 0 || n > p.Max:
		return fmt.Errorf("emulator: %d tries for %v: want 0 to %d", n, ref, p.Max)
	}
	old := p.Remaining
	p.Remaining = n
	if err := c.persist(); err != nil {
		p.Remaining = old
		return err
	}
	if ref.App() == c.app {
		c.verified &^= 1 << ref.FID()
	}
	return nil
}
