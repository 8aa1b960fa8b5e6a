package conformance

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// The property walk: a seeded random sequence of the actions that cannot
// spend a try (SELECTs, reads, refused reads, empty VERIFYs, signing
// without a PIN, GET CHALLENGE, resets), each answer checked against what
// card.md and the card's kind say, never against what the card answered
// before except where the property is that nothing moves (a counter, a
// file's first bytes). Nothing verifies a secret, so the whole walk runs
// with an empty security status. It is the reader-side companion of the
// rapid model in package fuzz; it lives here, in code, so that
// bin/mynacard can run it on a real card without linking rapid.

// PropertyOptions configure RunProperties.
type PropertyOptions struct {
	// Seed makes the walk: the same seed, steps and card kind replay it.
	Seed uint64
	// Steps is the number of actions; 0 means DefaultPropertySteps.
	Steps int
}

// DefaultPropertySteps is the walk's length when none is given.
const DefaultPropertySteps = 500

// PropertyCaseID names the walk's one result in a Report.
const PropertyCaseID = "PROP-WALK"

// efRule is what reading an EF without any key verified answers.
type efRule int

const (
	efFree    efRule = iota // READ answers 90 00 (card.md §4: "free")
	efGuarded               // READ answers 69 82 until its key is verified
	efKey                   // an internal key reference: READ answers 69 81 or 69 82
)

// efFact is what card.md §4 says of one EF; head is what the file starts
// with, where card.md gives it.
type efFact struct {
	ref    emulator.FileRef
	rule   efRule
	head   []byte
	record bool // a record EF (READ RECORD), not a transparent one
}

var (
	certHead = []byte{0x30, 0x82}
	cvHead   = []byte{0x7F, 0x21}
)

func ef(app emulator.App, fid uint16, rule efRule, head ...byte) efFact {
	return efFact{ref: emulator.Ref(app, fid), rule: rule, head: head}
}

// efFacts are the EFs of each application the walk reads (card.md §4.1–§4.5).
// EFs whose access card.md leaves open (text 0008, visual 0006, the
// 16-byte key references of the 住基 and common APs) are not among them.
var efFacts = []efFact{
	ef(emulator.AppJPKI, 0x0001, efGuarded),
	ef(emulator.AppJPKI, 0x0002, efFree, certHead...),
	ef(emulator.AppJPKI, 0x0006, efFree, []byte("JPKIAPICCTOKEN2")...),
	ef(emulator.AppJPKI, 0x0008, efFree), // its content depends on the kind: certStatus
	ef(emulator.AppJPKI, 0x0009, efGuarded),
	ef(emulator.AppJPKI, 0x000A, efFree, certHead...),
	ef(emulator.AppJPKI, 0x000B, efFree, certHead...),
	ef(emulator.AppJPKI, 0x0017, efKey),
	ef(emulator.AppJPKI, 0x0018, efKey),
	ef(emulator.AppJPKI, 0x001B, efKey),
	ef(emulator.AppText, 0x0001, efGuarded),
	ef(emulator.AppText, 0x0002, efGuarded),
	ef(emulator.AppText, 0x0003, efGuarded),
	ef(emulator.AppText, 0x0004, efFree, cvHead...),
	ef(emulator.AppText, 0x0005, efFree, 0xFF, 0x40),
	ef(emulator.AppText, 0x0006, efGuarded),
	ef(emulator.AppText, 0x0007, efGuarded),
	ef(emulator.AppText, 0x0011, efKey),
	ef(emulator.AppText, 0x0014, efKey),
	ef(emulator.AppText, 0x0015, efKey),
	ef(emulator.AppVisual, 0x0001, efGuarded),
	ef(emulator.AppVisual, 0x0002, efGuarded),
	ef(emulator.AppVisual, 0x0003, efFree, 0xFF, 0x30),
	ef(emulator.AppVisual, 0x0004, efFree, cvHead...),
	ef(emulator.AppVisual, 0x0005, efGuarded),
	ef(emulator.AppVisual, 0x0011, efKey),
	ef(emulator.AppVisual, 0x0012, efKey),
	ef(emulator.AppVisual, 0x0013, efKey),
	ef(emulator.AppJuki, 0x001C, efKey),
	{ref: emulator.CommonSerial, rule: efFree, head: []byte{0x01, 0x1C}, record: true},
	ef(emulator.AppCommon, 0x001C, efKey),
}

// walkKeys are the key references the walk queries: every key the suite
// knows, and text 0012, which card.md §4.2 finds blocked on every card.
var walkKeys = append(keyRefsOf(keyTable), emulator.TextBlockedKey)

func keyRefsOf(ks []keyInfo) []emulator.FileRef {
	out := make([]emulator.FileRef, len(ks))
	for i, k := range ks {
		out[i] = k.ref
	}
	return out
}

// sfiRefusals are the answers of a card that does not take READ BINARY
// with an SFI, which card.md §5 leaves UNCERTAIN for real cards.
var sfiRefusals = []apdu.SW{apdu.SWFuncNotSupported, apdu.SWIncorrectP1P2, apdu.SWFileNotFound}

// mfNotFound is a FID that no AP holds: card.md §4 puts every EF in 0001–001E.
const mfNotFound = 0x2F10

// efUnknown marks a current EF the walk cannot know: after a read by SFI
// that a card may or may not carry out (card.md §5).
const efUnknown = -1

// walker is the walk's picture of the session: what is selected.
type walker struct {
	t    *T
	kind emulator.Kind
	rng  *rand.Rand
	app  emulator.App
	ef   int // 0: no current EF; efUnknown; else the FID
	// counters is each key's empty-VERIFY answer at the start: no action
	// of the walk may change it.
	counters map[emulator.FileRef]apdu.SW
	// heads are the first bytes each free EF gave, which every later
	// read, by FID or SFI, must give again.
	heads map[emulator.FileRef][]byte
	// objects are the GET DATA answers, which never change.
	objects map[emulator.DataTag][]byte
}

// walkAction is one kind of step, drawn weight times as often as a
// weight-1 action; it returns what it did, for the trail.
type walkAction struct {
	name   string
	weight int
	run    func(w *walker) string
}

// walkActions favour the steps inside an AP: a reset or a SELECT of the
// ISD ends the AP, and only its reads, keys and signatures say much.
var walkActions = []walkAction{
	{"reset", 1, (*walker).reset},
	{"select-ap", 3, (*walker).selectRandomAP},
	{"select-isd", 1, (*walker).selectISD},
	{"select-mf", 1, (*walker).selectMF},
	{"select-ef", 1, (*walker).selectEF},
	{"read", 4, (*walker).read},
	{"read-sfi", 2, (*walker).readSFI},
	{"query", 2, (*walker).query},
	{"sign", 2, (*walker).sign},
	{"challenge", 1, (*walker).challenge},
	{"get-data", 2, (*walker).getData},
}

// draw picks an action by weight.
func (w *walker) draw() walkAction {
	total := 0
	for _, a := range walkActions {
		total += a.weight
	}
	n := w.pick(total)
	for _, a := range walkActions {
		if n -= a.weight; n < 0 {
			return a
		}
	}
	panic("unreachable: weights sum to total")
}

// RunProperties runs the property walk on tgt and reports it as one result,
// PropertyCaseID, with what the run spent (nothing, on a card that keeps
// the properties). It never sends a secret: every command goes through
// T.Send. When prof.Kind is empty the kind read off the card is used.
func RunProperties(tgt Target, prof Profile, opts PropertyOptions) (*Report, error) {
	if opts.Steps <= 0 {
		opts.Steps = DefaultPropertySteps
	}
	return RunCases([]Case{propertyCase(opts)}, tgt, prof, Options{})
}

func propertyCase(opts PropertyOptions) Case {
	return Case{
		ID:    PropertyCaseID,
		Title: fmt.Sprintf("%d random safe actions, seed %d: answers as card.md says, nothing readable that its access condition forbids, no counter moved", opts.Steps, opts.Seed),
		Spec:  "§2, §4, §5, §7.2, §11, §12",
		Run:   func(t *T) { walk(t, opts) },
	}
}

// walk runs the steps; on the first step that fails it adds the seed, the
// step and the trail that led there, and keeps the exchange of the last
// few steps only.
func walk(t *T, opts PropertyOptions) {
	w := &walker{t: t, kind: t.prof.Kind, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x6d796e61)),
		counters: map[emulator.FileRef]apdu.SW{}, heads: map[emulator.FileRef][]byte{},
		objects: map[emulator.DataTag][]byte{}}
	var trail []string
	var starts []int
	where := "reading the counters and 0008 before the first step"
	defer func() {
		if len(t.errs) == 0 {
			return
		}
		if n := len(starts); n > 0 {
			t.log = t.log[starts[max(0, n-3)]:]
		}
		head := []string{fmt.Sprintf("seed %d failed %s; replay: --properties --seed %d --steps %d", opts.Seed, where, opts.Seed, max(len(trail), 1))}
		if first := len(trail) - min(len(trail), 20); len(trail) > 0 {
			head = append(head, fmt.Sprintf("steps %d…: %s", first+1, strings.Join(trail[first:], "; ")))
		}
		t.errs = append(head, t.errs...)
	}()
	w.readCounters()
	w.readKindFacts()
	for step := 1; step <= opts.Steps && len(t.errs) == 0; step++ {
		starts = append(starts, len(t.log))
		a := w.draw()
		trail = append(trail, fmt.Sprintf("%d %s", step, a.name))
		where = fmt.Sprintf("at step %d of %d (%s)", step, opts.Steps, a.name)
		did := a.run(w)
		trail[step-1] = fmt.Sprintf("%d %s", step, did)
		where = fmt.Sprintf("at step %d of %d (%s)", step, opts.Steps, did)
	}
	if len(t.errs) > 0 {
		return
	}
	where = "reading the counters after the last step"
	starts = append(starts, len(t.log))
	w.reset()
	for _, ref := range walkKeys {
		w.selectKey(ref)
		w.expect("empty VERIFY of "+ref.String()+" after the walk", apdu.VerifyQuery(apdu.CurrentEF), w.counters[ref])
	}
}

// expect sends c and records a failure unless the card answers one of want.
func (w *walker) expect(what string, c apdu.Command, want ...apdu.SW) apdu.Response {
	return w.t.Check(what, c, want...)
}

func (w *walker) pick(n int) int { return w.rng.IntN(n) }

// readCounters queries every key and checks what card.md says of them
// for the card's kind: the locks of a face-auth card (§11.2), the used-up
// auth PIN of a pin-blocked one, text 0012 blocked on every card (§4.2),
// and 照合番号B still open on a face-auth card, whose card face it opens
// (§11.3). Outside those, a counter is the card's state, not a fact.
func (w *walker) readCounters() {
	w.reset()
	mustBlock := []emulator.FileRef{emulator.TextBlockedKey}
	mustOpen := []emulator.FileRef{}
	switch w.kind {
	case emulator.KindFaceAuth:
		mustBlock = append(mustBlock, emulator.JPKIAuthPIN, emulator.JPKISignPassword, emulator.TextPIN, emulator.JukiPIN, emulator.CommonPIN)
		mustOpen = append(mustOpen, emulator.TextPINB, emulator.VisualPINB)
	case emulator.KindPINBlocked:
		mustBlock = append(mustBlock, emulator.JPKIAuthPIN)
	}
	for _, ref := range walkKeys {
		w.selectKey(ref)
		r := w.t.Send(apdu.VerifyQuery(apdu.CurrentEF))
		n, counts := r.SW.Retries()
		blocked := r.SW == apdu.SWAuthBlocked || counts && n == 0
		switch {
		case !counts && r.SW != apdu.SWAuthBlocked:
			w.t.Errorf("empty VERIFY of %v with nothing verified: got SW %v, want 63Cx or 6984 (card.md §5)", ref, r.SW)
		case slices.Contains(mustBlock, ref) && !blocked:
			w.t.Errorf("empty VERIFY of %v on a %s card: got SW %v, want it blocked (63C0 or 6984)", ref, w.kind, r.SW)
		case slices.Contains(mustOpen, ref) && blocked:
			w.t.Errorf("empty VERIFY of %v on a %s card: got SW %v, but 照合番号B must still open the card face", ref, w.kind, r.SW)
		case counts && n > w.limit(ref):
			w.t.Errorf("empty VERIFY of %v: %d tries left, above its limit %d (card.md §7.1)", ref, n, w.limit(ref))
		}
		w.counters[ref] = r.SW
	}
}

// readKindFacts reads what every card of the kind gives without a key:
// 0008 saying which certificates it has (card.md §4.1, §11.2) and the auth
// certificate, which a face-auth card still gives (§11.1).
func (w *walker) readKindFacts() {
	w.selectAP(emulator.AppJPKI)
	for _, f := range efFacts {
		if f.ref == emulator.JPKICertStatus || f.ref == emulator.JPKIAuthCert {
			w.expect("SELECT "+f.ref.String(), apdu.SelectEF(f.ref.FID()), apdu.SWOK)
			w.checkRead(f, apdu.ReadBinary(0, readLe), nil)
		}
	}
}

// limit is ref's documented retry limit, or 15 (what 63Cx can say).
func (w *walker) limit(ref emulator.FileRef) int {
	if n, ok := w.t.prof.Tries[ref]; ok {
		return n
	}
	if n, ok := specTries[ref]; ok {
		return n
	}
	return 15
}

// selectKey selects ref's AP and then ref.
func (w *walker) selectKey(ref emulator.FileRef) {
	w.selectAP(ref.App())
	w.selectRef(ref)
}

// selectRef selects ref, an EF of the current AP, which becomes current.
func (w *walker) selectRef(ref emulator.FileRef) {
	w.expect("SELECT "+ref.String(), apdu.SelectEF(ref.FID()), apdu.SWOK)
	w.ef = int(ref.FID())
}

func (w *walker) reset() string {
	w.t.Reset()
	w.app, w.ef = emulator.AppNone, 0
	return "reset"
}

func (w *walker) selectRandomAP() string {
	return w.selectAP(emulator.Apps()[w.pick(len(emulator.Apps()))])
}

func (w *walker) selectAP(a emulator.App) string {
	w.expect("SELECT "+a.String()+" AP", apdu.SelectAID(a.AID()), apdu.SWOK)
	w.app, w.ef = a, 0
	return "select " + a.String()
}

func (w *walker) selectISD() string {
	w.expect("SELECT the ISD (card.md §2)", apdu.SelectAID(isdAIDBytes), apdu.SWOK)
	w.app, w.ef = emulator.AppNone, 0
	return "select ISD"
}

// isdAIDBytes is the GlobalPlatform issuer security domain (card.md §2).
var isdAIDBytes = []byte{0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00}

// selectMF sends SELECT MF (00 A4 00 00) or SELECT 3F00 as card.md §2
// describes: the first refused with no AP and accepted, changing nothing,
// inside one; 3F00 never found.
func (w *walker) selectMF() string {
	if w.pick(2) == 0 {
		w.expect("SELECT 3F00", apdu.SelectEF(0x3F00), apdu.SWFileNotFound)
		return "select 3F00"
	}
	want := apdu.SWOK
	if w.app == emulator.AppNone {
		want = apdu.SWIncorrectP1P2
	}
	w.expect("SELECT MF (00 A4 00 00) in "+w.app.String(), apdu.Command{INS: apdu.INSSelect}, want)
	return "select MF"
}

// factsOf lists the EFs of app the walk knows.
func factsOf(app emulator.App) []efFact {
	var out []efFact
	for _, f := range efFacts {
		if f.ref.App() == app {
			out = append(out, f)
		}
	}
	return out
}

// selectEF selects a known EF of the current AP, or one no AP holds; with
// no AP, an EF of an AP, which the MF does not hold (card.md §2).
func (w *walker) selectEF() string {
	facts := factsOf(w.app)
	if len(facts) == 0 || w.pick(4) == 0 {
		fid := uint16(mfNotFound)
		if len(facts) == 0 {
			fid = efFacts[w.pick(len(efFacts))].ref.FID()
		}
		w.expect(fmt.Sprintf("SELECT %04X in %s", fid, w.app), apdu.SelectEF(fid), apdu.SWFileNotFound)
		return fmt.Sprintf("select absent %04X", fid)
	}
	f := facts[w.pick(len(facts))]
	w.selectRef(f.ref)
	return "select " + f.ref.String()
}

// readLe is how much each read asks for: enough for every head.
const readLe = 16

// read selects a known EF of the current AP and reads it as its rule says.
// With no AP it reads with no current EF (69 86).
func (w *walker) read() string {
	facts := factsOf(w.app)
	if len(facts) == 0 {
		w.expect("READ BINARY with no current EF", apdu.ReadBinary(0, readLe), apdu.SWNoCurrentEF)
		return "read with no EF"
	}
	f := facts[w.pick(len(facts))]
	w.selectRef(f.ref)
	cmd := apdu.ReadBinary(0, readLe)
	if f.record {
		cmd = apdu.ReadRecord(1, 0, apdu.MaxShortNe)
	}
	w.checkRead(f, cmd, nil)
	return "read " + f.ref.String()
}

// checkRead sends a read of f and checks the answer against f's rule;
// refusals lists further answers allowed for this form of the command.
func (w *walker) checkRead(f efFact, cmd apdu.Command, refusals []apdu.SW) {
	what := fmt.Sprintf("%s of %v (%s)", readName(cmd), f.ref, ruleName[f.rule])
	switch f.rule {
	case efGuarded:
		w.expect(what, cmd, append(refusals, apdu.SWSecurityNotSatisfied)...)
	case efKey:
		w.expect(what, cmd, append(refusals, apdu.SWIncompatibleFile, apdu.SWSecurityNotSatisfied)...)
	default:
		r := w.expect(what, cmd, append(refusals, apdu.SWOK, apdu.SWWarnEOF)...)
		if r.SW == apdu.SWOK || r.SW == apdu.SWWarnEOF {
			w.checkHead(what, f, r.Data)
		}
	}
}

var ruleName = map[efRule]string{efFree: "free", efGuarded: "protected", efKey: "a key reference"}

func readName(c apdu.Command) string {
	switch {
	case c.INS == apdu.INSReadRecord:
		return "READ RECORD"
	case c.P1&0x80 != 0:
		return "READ BINARY by SFI"
	}
	return "READ BINARY"
}

// checkHead checks a free EF's data against card.md and against what the
// EF gave before.
func (w *walker) checkHead(what string, f efFact, data []byte) {
	want := f.head
	if f.ref == emulator.JPKICertStatus {
		want = certStatus(w.kind)
		if len(data) != len(want) {
			w.t.Errorf("%s: %d bytes, want the 3 of card.md §4.1", what, len(data))
		}
	}
	if !bytes.HasPrefix(data, want) {
		w.t.Errorf("%s: data starts % X, card.md §4 says % X", what, data[:min(len(data), len(want))], want)
	}
	if prev, ok := w.heads[f.ref]; ok && !bytes.Equal(prev, data) {
		w.t.Errorf("%s: got % X, an earlier read gave % X", what, data, prev)
	}
	w.heads[f.ref] = bytes.Clone(data)
}

// certStatus is JPKI 0008 for a kind (card.md §4.1, §11.2): no sign
// certificate on a face-auth or no-sign-cert card.
func certStatus(k emulator.Kind) []byte {
	if slices.Contains(signCertKinds, k) {
		return []byte{0x8F, 0x8F, 0x00}
	}
	return []byte{0x00, 0x8F, 0x00}
}

// readSFI reads a known transparent EF of the current AP by its SFI. A
// card may refuse the form (card.md §5, UNCERTAIN), but never give what
// the EF's access condition forbids, nor other bytes than by FID.
func (w *walker) readSFI() string {
	var facts []efFact
	for _, f := range factsOf(w.app) {
		if !f.record {
			facts = append(facts, f)
		}
	}
	if len(facts) == 0 {
		return w.read()
	}
	f := facts[w.pick(len(facts))]
	w.checkRead(f, apdu.ReadBinarySFI(byte(f.ref.FID()), 0, readLe), sfiRefusals)
	w.ef = efUnknown
	return "read by SFI " + f.ref.String()
}

// query selects a key of the current AP and asks its counter: the answer
// is the one it gave at the start. With no key in the AP it queries the
// current EF, which is no key reference.
func (w *walker) query() string {
	var keys []emulator.FileRef
	for _, ref := range walkKeys {
		if ref.App() == w.app {
			keys = append(keys, ref)
		}
	}
	if len(keys) == 0 {
		w.expect("empty VERIFY with no key selected", apdu.VerifyQuery(apdu.CurrentEF), w.notKey()...)
		return "query with no key"
	}
	ref := keys[w.pick(len(keys))]
	w.selectRef(ref)
	w.expect("empty VERIFY of "+ref.String()+" (counters never move without a wrong value)", apdu.VerifyQuery(apdu.CurrentEF), w.counters[ref])
	return "query " + ref.String()
}

// notKey is what a command on the current EF as a key answers when it is
// none: 69 86 with no current EF, 69 81 for an EF of another kind.
func (w *walker) notKey() []apdu.SW {
	switch w.ef {
	case 0:
		return []apdu.SW{apdu.SWNoCurrentEF}
	case efUnknown:
		return []apdu.SW{apdu.SWNoCurrentEF, apdu.SWIncompatibleFile}
	}
	return []apdu.SW{apdu.SWIncompatibleFile}
}

// sign asks a JPKI key for a signature with no PIN verified: 69 82
// (card.md §5.1), the key selected first or named by its SFI. A card
// without a sign certificate may not even have the key (6A 82; which one,
// docs/uncertain.md). Outside the JPKI AP no key is current.
func (w *walker) sign() string {
	msg := digestInfo(testMessage)
	if w.app != emulator.AppJPKI {
		w.expect("COMPUTE SIGNATURE in "+w.app.String(), apdu.ComputeSignature(0x00, msg), w.notKey()...)
		return "sign outside JPKI"
	}
	key := []emulator.FileRef{emulator.JPKIAuthKey, emulator.JPKISignKey}[w.pick(2)]
	refused := []apdu.SW{apdu.SWSecurityNotSatisfied}
	selected := []apdu.SW{apdu.SWOK}
	if key == emulator.JPKISignKey && !slices.Contains(signCertKinds, w.kind) {
		refused = append(refused, apdu.SWFileNotFound)
		selected = append(selected, apdu.SWFileNotFound)
	}
	if w.pick(2) == 0 {
		cmd := apdu.ComputeSignature(0x00, msg)
		cmd.P2 = 0x80 | byte(key.FID())
		w.expect("COMPUTE SIGNATURE by SFI with "+key.String()+", no PIN", cmd, refused...)
		w.ef = efUnknown
		return "sign by SFI " + key.String()
	}
	if r := w.expect("SELECT "+key.String(), apdu.SelectEF(key.FID()), selected...); r.SW == apdu.SWOK {
		w.ef = int(key.FID())
		w.expect("COMPUTE SIGNATURE with "+key.String()+", no PIN", apdu.ComputeSignature(0x00, msg), apdu.SWSecurityNotSatisfied)
	}
	return "sign " + key.String()
}

// challenge asks for random bytes: exactly as many as asked (card.md §2).
func (w *walker) challenge() string {
	n := []int{1, 8, 16, apdu.MaxShortNe}[w.pick(4)]
	if r := w.expect(fmt.Sprintf("GET CHALLENGE %d", n), apdu.GetChallenge(n), apdu.SWOK); r.SW == apdu.SWOK && len(r.Data) != n {
		w.t.Errorf("GET CHALLENGE %d: got %d bytes", n, len(r.Data))
	}
	return fmt.Sprintf("challenge %d", n)
}
