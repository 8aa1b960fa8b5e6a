package conformance

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Class says what running a case may cost the card.
type Class int

const (
	// ReadOnly cases change nothing that outlives the session. They may
	// VERIFY a secret the caller gave, which spends nothing when it is right.
	ReadOnly Class = iota
	// SpendsTry cases present a wrong secret on purpose and then the right
	// one, so the counter ends where it started.
	SpendsTry
	// Destructive cases may block a PIN or change the card for good.
	Destructive
)

var classNames = [...]string{"read-only", "spends-a-try", "destructive"}

func (c Class) String() string { return classNames[c] }

func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func (c *Class) UnmarshalText(b []byte) error {
	i := slices.Index(classNames[:], string(b))
	if i < 0 {
		return fmt.Errorf("conformance: unknown class %q (want one of %v)", b, classNames)
	}
	*c = Class(i)
	return nil
}

// Case is one conformance check.
type Case struct {
	ID    string // stable: AREA-THEME-NNN
	Title string // what it checks
	Spec  string // sections of docs/card.md, e.g. "§4.1, §6.1"
	Class Class
	// Kinds lists the card kinds the case applies to; nil means all.
	Kinds []emulator.Kind
	// Needs lists the secrets the case presents; it is skipped without them.
	Needs []emulator.FileRef
	// Exhausts lists the keys the case blocks with wrong values; such
	// cases run after every other case (nothing can use a blocked key),
	// and on a real card a key that is not a PIN needs AllowUnrecoverable.
	Exhausts []emulator.FileRef
	// Issuer marks cases that need municipal-terminal operations.
	Issuer bool
	Run    func(t *T)
}

func (c *Case) appliesTo(kind emulator.Kind) bool {
	return c.Kinds == nil || slices.Contains(c.Kinds, kind)
}

func joinKinds(ks []emulator.Kind, sep string) string {
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = string(k)
	}
	return strings.Join(names, sep)
}

// Exchange is one command and its answer as a report shows it. Secrets
// never reach it: apdu.Redact masks the data of VERIFY and of the change
// commands.
type Exchange struct {
	Command  string  `json:"command"`
	Response string  `json:"response"`
	SW       apdu.SW `json:"-"`
	Data     []byte  `json:"-"`
	// Random marks an answer whose data differs on every run by design:
	// GET CHALLENGE and RSA-PSS signatures (card.md §5), and the exchanges
	// of secure messaging (§4.2), whose commands differ too: a fresh
	// session key is enciphered to the card, and everything after it.
	Random bool `json:"-"`
}

// randomAnswer reports whether the data answering c is random by design;
// a contactless reader's GET UID gives a PUPI drawn at each activation
// (card.md §1.2).
func randomAnswer(c apdu.Command) bool {
	return c.INS == apdu.INSGetChallenge || c.CLA == apdu.CLAReader && c.INS == apdu.INSGetData || c.CLA == apdu.CLAProprietary && c.INS == apdu.INSComputeSignature && (c.P1 == 0x04 || c.P1 == 0x05) ||
		randomCommand(c)
}

// randomCommand reports whether c's data is random by design: SET SESSION
// KEY and SM commands.
func randomCommand(c apdu.Command) bool {
	return c.CLA == apdu.CLAProprietary && c.INS == apdu.INSSetSessionKey || c.SecureMessaging()
}

// sameCommand compares two exchanges' commands; of random ones only the
// headers (CLA INS P1 P2, "XX XX XX XX").
func sameCommand(a, b Exchange) bool {
	const header = len("XX XX XX XX")
	if a.Random && b.Random && len(a.Command) >= header && len(b.Command) >= header {
		return a.Command[:header] == b.Command[:header]
	}
	return a.Command == b.Command
}

func spacedHex(b []byte) string {
	var sb strings.Builder
	for i, x := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strings.ToUpper(hex.EncodeToString([]byte{x})))
	}
	return sb.String()
}

// stop ends a case early; the runner recovers it.
type stop struct{}

// T runs one case against one target and records what happened.
type T struct {
	tgt   Target
	caps  Caps
	prof  *Profile
	memo  *secretMemo
	class Class
	// givenKind is the kind the caller stated ("" if none); now is the
	// time certificates are checked against.
	givenKind emulator.Kind
	now       func() time.Time
	app       emulator.App // application selected by this case, as far as it knows
	log       []Exchange
	errs      []string
	skipped   string
}

// secretMemo is what one run has learnt about the given secrets: a value
// the card accepted may be presented again without a counter check, and a
// value the card refused is never presented again.
type secretMemo struct {
	accepted map[emulator.FileRef]bool
	rejected map[emulator.FileRef]bool
	// spent counts the wrong values each key's counter took.
	spent map[emulator.FileRef]int
}

func newSecretMemo() *secretMemo {
	return &secretMemo{accepted: map[emulator.FileRef]bool{}, rejected: map[emulator.FileRef]bool{}, spent: map[emulator.FileRef]int{}}
}

// Errorf records a failure and lets the case go on.
func (t *T) Errorf(format string, args ...any) { t.errs = append(t.errs, fmt.Sprintf(format, args...)) }

// Fatalf records a failure and ends the case.
func (t *T) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	panic(stop{})
}

// Skipf ends the case as skipped.
func (t *T) Skipf(format string, args ...any) {
	t.skipped = fmt.Sprintf(format, args...)
	panic(stop{})
}

func (t *T) transmit(c apdu.Command) apdu.Response {
	raw, err := t.tgt.Transmit(c.Bytes())
	ex := Exchange{Command: apdu.Redact(c.Bytes())}
	if err != nil {
		ex.Response = "transport error: " + err.Error()
		t.log = append(t.log, ex)
		t.Fatalf("%s: transmit %s: %v", t.tgt.Name(), ex.Command, err)
	}
	r, err := apdu.ParseResponse(raw)
	if err != nil {
		ex.Response = spacedHex(raw)
		t.log = append(t.log, ex)
		t.Fatalf("answer to %s: %v", ex.Command, err)
	}
	r.Data = slices.Clone(r.Data)
	ex.SW, ex.Data, ex.Random = r.SW, r.Data, randomAnswer(c)
	ex.Response = strings.TrimSpace(spacedHex(r.Data) + " " + fmt.Sprintf("%04X", uint16(r.SW)))
	t.log = append(t.log, ex)
	return r
}

// Send transmits a command that carries no secret. Secrets go only
// through Verify and Change, which apply the safety rules.
func (t *T) Send(c apdu.Command) apdu.Response {
	if c.CarriesSecret() {
		t.Fatalf("internal: %s carries a secret; use Verify or Change", apdu.Redact(c.Bytes()))
	}
	return t.transmit(c)
}

// Expect sends c and ends the case unless the card answers want.
func (t *T) Expect(what string, c apdu.Command, want apdu.SW) apdu.Response {
	r := t.Send(c)
	if r.SW != want {
		t.Fatalf("%s: got SW %v, want %v", what, r.SW, want)
	}
	return r
}

// Check sends c and records a failure unless the card answers one of want.
func (t *T) Check(what string, c apdu.Command, want ...apdu.SW) apdu.Response {
	r := t.Send(c)
	if !slices.Contains(want, r.SW) {
		t.Errorf("%s: got SW %v, want %s", what, r.SW, swList(want))
	}
	return r
}

func swList(sws []apdu.SW) string {
	s := make([]string, len(sws))
	for i, sw := range sws {
		s[i] = sw.String()
	}
	return strings.Join(s, " or ")
}

// Equal records a failure with a go-cmp diff unless want equals got.
func (t *T) Equal(what string, want, got any) bool {
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
		return false
	}
	return true
}

// Reset warm-resets the card.
func (t *T) Reset() {
	if err := t.tgt.Reset(); err != nil {
		t.Fatalf("%s: reset: %v", t.tgt.Name(), err)
	}
	t.log = append(t.log, Exchange{Command: "(reset)"})
	t.app = emulator.AppNone
}

// SelectAP selects an application and expects 90 00.
func (t *T) SelectAP(a emulator.App) {
	t.Expect("SELECT "+a.String()+" AP", apdu.SelectAID(a.AID()), apdu.SWOK)
	t.app = a
}

// SelectEF selects an EF of the current application and expects 90 00.
func (t *T) SelectEF(fid uint16) {
	t.Expect(fmt.Sprintf("SELECT EF %s/%04X", t.app, fid), apdu.SelectEF(fid), apdu.SWOK)
}

// Open selects ref's application, unless it is current, and then ref.
func (t *T) Open(ref emulator.FileRef) {
	if t.app != ref.App() {
		t.SelectAP(ref.App())
	}
	t.SelectEF(ref.FID())
}

// Query selects key reference ref (in the current application) and reads
// its counter with an empty VERIFY, which spends nothing. It returns the
// tries left; a key already verified in this session may answer 90 00
// (card.md §7.2), reported as verified.
func (t *T) Query(ref emulator.FileRef) (left int, verified bool) {
	t.Open(ref)
	r := t.Send(apdu.VerifyQuery(apdu.CurrentEF))
	if n, ok := r.SW.Retries(); ok {
		return n, false
	}
	switch r.SW {
	case apdu.SWAuthBlocked:
		return 0, false
	case apdu.SWOK:
		return t.prof.Tries[ref], true
	}
	t.Fatalf("empty VERIFY of %v: got SW %v, want 63Cx", ref, r.SW)
	return 0, false
}

// Secret returns the given value of ref, skipping the case without it.
func (t *T) Secret(ref emulator.FileRef) emulator.Secret {
	v, ok := t.prof.Secrets[ref]
	if !ok {
		t.Skipf("needs the secret of %v, which was not given", ref)
	}
	return v
}

// Wrong returns a value of the right format for ref that is not its secret.
func (t *T) Wrong(ref emulator.FileRef) emulator.Secret {
	w := slices.Clone(t.Secret(ref))
	last := &w[len(w)-1]
	switch {
	case *last == '9':
		*last = '0'
	case *last == 'Z':
		*last = 'A'
	default:
		*last++
	}
	return w
}

// minLeft is the fewest tries a miss may leave on a key (the safety rule).
const minLeft = 2

// Verify presents value for key reference ref (selecting it in the current
// application) and returns the card's SW. value must be the given secret
// of ref or Wrong(ref): nothing else is ever sent. Before anything that
// could be a miss the counter is read, and the case is skipped when a miss
// would leave fewer than 2 tries (a blocked key has nothing left to lose).
// Destructive cases may go below that.
func (t *T) Verify(ref emulator.FileRef, value emulator.Secret) apdu.SW {
	known := t.Secret(ref)
	isKnown := slices.Equal(value, known)
	if !isKnown && !slices.Equal(value, t.Wrong(ref)) {
		t.Fatalf("internal: Verify(%v) with a value that was not given", ref)
	}
	if isKnown && t.memo.rejected[ref] {
		t.Skipf("the given secret of %v was refused earlier in this run; not presenting it again", ref)
	}
	left, verified := t.Query(ref)
	mayMiss := !isKnown || !t.memo.accepted[ref]
	if mayMiss && !verified && left > 0 && left-1 < minLeft && t.class != Destructive {
		t.Skipf("would leave fewer than %d tries on %v (%d left)", minLeft, ref, left)
	}
	r := t.transmit(apdu.Verify(apdu.CurrentEF, value))
	if _, miss := r.SW.Retries(); miss && !isKnown {
		t.memo.spent[ref]++
	}
	if isKnown {
		switch _, miss := r.SW.Retries(); {
		case r.SW == apdu.SWOK:
			t.memo.accepted[ref] = true
		case miss:
			t.memo.rejected[ref] = true
			t.Fatalf("the card refused the given secret of %v (%v); check the pins file", ref, r.SW)
		}
	}
	return r.SW
}

// Unlock verifies the given secret of ref and expects 90 00. A blocked key
// skips the case: it says nothing about the behaviour under test.
func (t *T) Unlock(ref emulator.FileRef) {
	if left, verified := t.Query(ref); left == 0 && !verified {
		t.Skipf("%v is blocked on this card", ref)
	}
	if sw := t.Verify(ref, t.Secret(ref)); sw != apdu.SWOK {
		t.Fatalf("VERIFY %v with the given secret: got SW %v, want %v", ref, sw, apdu.SWOK)
	}
}

// Change sends a change command (CHANGE REFERENCE DATA or JICSAP CHANGE
// KEY) for the current key; only destructive cases may.
func (t *T) Change(c apdu.Command) apdu.SW {
	if t.class != Destructive {
		t.Fatalf("internal: a %v case may not change a secret", t.class)
	}
	return t.transmit(c).SW
}
