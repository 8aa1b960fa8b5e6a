package fuzz

import (
	"bytes"
	"fmt"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Violation is an answer that breaks one of card.md's invariants.
type Violation struct {
	Rule   string // short stable name, e.g. "read-protected"
	Detail string
}

func (v *Violation) Error() string { return v.Rule + ": " + v.Detail }

// Oracle follows one card session command by command and checks each answer
// against invariants that hold on any My Number card (card.md §5, §7.2, §8):
// well-formed answers with a status word from card.md, retry counters
// that fall only on a wrong secret and rise only on a right one, blocked
// keys that never verify, and EFs and keys never used without their secret.
//
// It learns the card's state only from what the card accepted, and when it
// cannot tell which file or application is current it checks less rather
// than guess, so every Violation is a real fault.
type Oracle struct {
	app      emulator.App
	appKnown bool
	ef       uint16
	efKnown  bool
	verified map[emulator.FileRef]bool
	counters map[emulator.FileRef]counter
	// someVerified is set when a VERIFY succeeded on a key the oracle could
	// not name; until the next AP selection it assumes any key may be verified.
	someVerified bool
	wrongs       int    // wrong secrets presented so far in the oracle's life
	chain        []byte // data of chained command parts the card accepted
}

type counter struct {
	left     int
	wrongsAt int // Oracle.wrongs when left was observed
}

// NewOracle starts an oracle for a card just powered on. known gives
// retry counters known in advance (from the card file); others are learnt
// from the card's answers.
func NewOracle(known map[emulator.FileRef]int) *Oracle {
	o := &Oracle{verified: map[emulator.FileRef]bool{}, counters: map[emulator.FileRef]counter{}}
	for ref, n := range known {
		o.counters[ref] = counter{left: n}
	}
	o.Reset()
	return o
}

// KnownCounters returns the retry counters of every limited key in s, for NewOracle.
func KnownCounters(s *emulator.State) map[emulator.FileRef]int {
	m := map[emulator.FileRef]int{}
	for ref, p := range s.PINs {
		if p.Max > 0 {
			m[ref] = p.Remaining
		}
	}
	return m
}

// Reset records a warm reset or power cycle: no application, no security status.
func (o *Oracle) Reset() {
	o.app, o.appKnown = emulator.AppNone, true
	o.efKnown = false
	o.clearSecurity()
	o.chain = nil
}

func (o *Oracle) clearSecurity() {
	clear(o.verified)
	o.someVerified = false
}

// Check records that the card answered resp to cmd and returns a
// *Violation if the answer breaks an invariant.
func (o *Oracle) Check(cmd, resp []byte) error {
	fail := func(rule, format string, a ...any) error {
		return &Violation{Rule: rule, Detail: fmt.Sprintf("%X -> %X: ", cmd, resp) + fmt.Sprintf(format, a...)}
	}
	r, err := apdu.ParseResponse(resp)
	if err != nil {
		return fail("short-response", "answer of %d bytes has no status word", len(resp))
	}
	if !specSW(r.SW) {
		return fail("unknown-sw", "status %s is not one card.md lists (§8)", r.SW)
	}
	if len(r.Data) > 0 && !dataAllowed(r.SW) {
		return fail("data-on-error", "%d data bytes with status %s", len(r.Data), r.SW)
	}
	c, err := apdu.ParseCommand(cmd)
	if err != nil {
		if r.SW == apdu.SWOK {
			return fail("malformed-accepted", "malformed command answered 9000 (%v)", err)
		}
		return nil
	}
	if len(r.Data) > c.Ne {
		return fail("data-over-ne", "%d data bytes but the command asked for at most %d", len(r.Data), c.Ne)
	}
	if c.Chained() {
		if r.SW == apdu.SWOK {
			o.chain = append(o.chain, c.Data...)
		} else {
			o.chain = nil
		}
		return nil
	}
	if o.chain != nil {
		c.Data = append(o.chain, c.Data...)
		o.chain = nil
	}
	ok := r.SW == apdu.SWOK
	switch c.INS {
	case apdu.INSSelect:
		o.selected(c, ok)
	case apdu.INSReadBinary, apdu.INSReadBinaryOdd, apdu.INSReadRecord:
		ref, known := o.readTarget(c, ok || r.SW == apdu.SWWarnEOF)
		if !ok && r.SW != apdu.SWWarnEOF {
			return nil
		}
		if keys, listed := access[ref]; known && listed && !o.anyVerified(keys) {
			return fail("read-protected", "%v read without any of %v verified in this session", ref, keys)
		}
	case apdu.INSVerify:
		return o.verify(c, r.SW, fail)
	case apdu.INSChangeReferenceData, apdu.INSChangeKey:
		ref, known := o.keyTarget(c.P2)
		if ok && known && c.P1 == apdu.NewValueOnly && !o.anyVerified([]emulator.FileRef{ref}) {
			return fail("change-unverified", "reference data of %v changed without VERIFY in this session", ref)
		}
		if ok && known {
			delete(o.counters, ref)
		}
	case apdu.INSComputeSignature, apdu.INSInternalAuthenticate:
		ref, known := o.keyTarget(c.P2)
		pin, guarded := signers[ref]
		if !ok || !known || !guarded {
			return nil
		}
		if !o.anyVerified([]emulator.FileRef{pin}) {
			return fail("key-unverified", "%v used without %v verified in this session", ref, pin)
		}
		if c.INS == apdu.INSComputeSignature && len(r.Data) != 256 {
			return fail("sign-length", "RSA-2048 signature of %d bytes", len(r.Data))
		}
	}
	return nil
}

func (o *Oracle) selected(c apdu.Command, ok bool) {
	o.efKnown = false
	switch {
	case !ok && c.P1 == apdu.SelectByDFName:
		// A failed SELECT by name may or may not leave the current AP; keep
		// the security status so that the oracle errs on the lenient side.
	case !ok:
	case c.P1 == apdu.SelectByDFName:
		o.clearSecurity()
		o.app, o.appKnown = emulator.AppNone, bytes.Equal(c.Data, ispAID)
		if app, found := emulator.AppByAID(c.Data); found {
			o.app, o.appKnown = app, true
		}
	case c.P1 == apdu.SelectByFID && len(c.Data) == 2:
		o.ef, o.efKnown = uint16(c.Data[0])<<8|uint16(c.Data[1]), true
	case c.P1 == 0x00:
		// SELECT MF leaves the current DF (card.md §2).
	default:
		o.appKnown = false
	}
}

// readTarget names the EF a READ BINARY/RECORD reads, which becomes the
// current EF when named by SFI and read; whether a refused read by SFI
// moves the current EF varies, so the oracle then forgets it.
func (o *Oracle) readTarget(c apdu.Command, read bool) (emulator.FileRef, bool) {
	sfi := 0
	switch c.INS {
	case apdu.INSReadBinary:
		if c.P1&0x80 != 0 {
			sfi = int(c.P1 & 0x1F)
		}
	case apdu.INSReadBinaryOdd:
		if c.P1 != 0 || c.P2 != 0 {
			if !o.appKnown {
				return emulator.FileRef(0), false
			}
			return emulator.Ref(o.app, uint16(c.P1)<<8|uint16(c.P2)), true
		}
	case apdu.INSReadRecord:
		sfi = int(c.P2 >> 3)
	}
	if sfi != 0 {
		o.ef, o.efKnown = uint16(sfi), read
	}
	return o.current()
}

// keyTarget names the key a VERIFY, CHANGE or SIGN addresses by P2: 80 is
// the current EF, 80|SFI the EF with that short identifier.
func (o *Oracle) keyTarget(p2 byte) (emulator.FileRef, bool) {
	switch {
	case p2 == 0x80:
		return o.current()
	case p2&0x80 != 0 && p2&0x60 == 0 && o.appKnown:
		return emulator.Ref(o.app, uint16(p2&0x1F)), true
	}
	return emulator.FileRef(0), false
}

func (o *Oracle) current() (emulator.FileRef, bool) {
	if !o.appKnown || !o.efKnown {
		return emulator.FileRef(0), false
	}
	return emulator.Ref(o.app, o.ef), true
}

func (o *Oracle) anyVerified(keys []emulator.FileRef) bool {
	if o.someVerified {
		return true
	}
	for _, k := range keys {
		if o.verified[k] {
			return true
		}
	}
	return false
}

// verify checks the retry-counter rules of card.md §7.2 on one VERIFY.
func (o *Oracle) verify(c apdu.Command, sw apdu.SW, fail func(string, string, ...any) error) error {
	attempt := len(c.Data) > 0
	left, isRetries := sw.Retries()
	if attempt && (isRetries || sw == apdu.SWAuthBlocked) {
		o.wrongs++
	}
	ref, known := o.keyTarget(c.P2)
	if !known {
		if attempt && sw == apdu.SWOK {
			// Some key was verified and its counter reset: forget them all.
			o.someVerified = true
			clear(o.counters)
		}
		return nil
	}
	prev, seen := o.counters[ref]
	if sw == apdu.SWOK {
		if !attempt {
			return nil // "already verified" answer to a query (Settings.QueryAfterVerify)
		}
		if seen && prev.left == 0 {
			return fail("blocked-accepted", "%v verified with its counter at 0", ref)
		}
		o.verified[ref] = true
		delete(o.counters, ref) // back to its maximum, which the oracle need not know
		return nil
	}
	if !isRetries && sw != apdu.SWAuthBlocked {
		return nil
	}
	o.counters[ref] = counter{left: left, wrongsAt: o.wrongs}
	if !seen {
		return nil
	}
	wrongsSince := o.wrongs - prev.wrongsAt
	switch {
	case left > prev.left:
		return fail("counter-rose", "%v counter rose from %d to %d without a correct secret", ref, prev.left, left)
	case prev.left-left > wrongsSince:
		return fail("counter-fell", "%v counter fell from %d to %d after %d wrong secrets", ref, prev.left, left, wrongsSince)
	case attempt && prev.left == 0 && sw != apdu.SWAuthBlocked:
		return fail("blocked-answer", "wrong secret for blocked %v answered %s, want 6984", ref, sw)
	case attempt && prev.left > 0 && wrongsSince == 1 && left == prev.left:
		return fail("wrong-not-counted", "wrong secret for %v left its counter at %d", ref, left)
	case attempt && prev.left > 0 && wrongsSince == 1 && sw == apdu.SWAuthBlocked:
		return fail("blocked-early", "%v answered 6984 to the attempt that used its last try, want 63C0", ref)
	}
	return nil
}
