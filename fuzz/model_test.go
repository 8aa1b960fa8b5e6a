package fuzz

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// Model is a rapid state machine of the card's secrets and access rules
// (card.md §4, §7.2, §11): it predicts the exact status word of every SELECT,
// VERIFY, READ BINARY and signature it sends, and after every step checks
// that the card's retry counters are the model's. Issuer operations
// (face-auth conversion, reversal, unblock) run between APDUs, as a
// municipality would. TestCardModel runs it with rapid.Check and
// FuzzCardModel with rapid.MakeFuzz. It is test code, which keeps rapid out
// of bin/mynacard.
type Model struct {
	card     *emulator.Card
	settings emulator.Settings
	files    map[emulator.FileRef][]byte
	keys     map[emulator.FileRef]bool
	max      map[emulator.FileRef]int
	left     map[emulator.FileRef]int
	secret   map[emulator.FileRef][]byte // nil: unknown (set randomly by the issuer)

	isFaceAuth bool // a face-auth card, which the issuer may reverse

	app      emulator.App
	ef       uint16 // 0: no current EF
	verified map[emulator.FileRef]bool
}

// NewModel starts a card from s and a model of it.
func NewModel(s *emulator.State) (*Model, error) {
	c, err := emulator.New(s)
	if err != nil {
		return nil, err
	}
	m := &Model{
		card: c, settings: s.Settings, files: s.Files, keys: map[emulator.FileRef]bool{},
		max: map[emulator.FileRef]int{}, left: map[emulator.FileRef]int{}, secret: map[emulator.FileRef][]byte{},
		verified: map[emulator.FileRef]bool{}, isFaceAuth: s.Kind == emulator.KindFaceAuth,
	}
	for ref := range s.Keys {
		m.keys[ref] = true
	}
	for ref, p := range s.PINs {
		m.max[ref], m.left[ref], m.secret[ref] = p.Max, p.Remaining, append([]byte(nil), p.Value...)
	}
	return m, nil
}

func (m *Model) send(t *rapid.T, c apdu.Command) apdu.Response {
	b := c.Bytes()
	r, err := apdu.ParseResponse(m.card.Transmit(b))
	if err != nil {
		t.Fatalf("%X: %v", b, err)
	}
	return r
}

func (m *Model) expect(t *rapid.T, what string, c apdu.Command, want apdu.SW) apdu.Response {
	r := m.send(t, c)
	if r.SW != want {
		t.Fatalf("%s (%s): card answered %s, model expects %s", what, c, r.SW.String(), want.String())
	}
	return r
}

func (m *Model) endSession() {
	m.app, m.ef = emulator.AppNone, 0
	clear(m.verified)
}

// pinsOf lists the key references of app that the card holds.
func (m *Model) pinsOf(app emulator.App) []emulator.FileRef {
	var out []emulator.FileRef
	for _, k := range keyRefs {
		if _, ok := m.max[k]; ok && k.App() == app {
			out = append(out, k)
		}
	}
	return out
}

func (m *Model) currentPIN() (emulator.FileRef, bool) {
	ref := emulator.Ref(m.app, m.ef)
	_, ok := m.max[ref]
	return ref, ok && m.ef != 0
}

// notKeySW is what a command addressing the current EF as a key reference
// or key (VERIFY P2=80, COMPUTE SIGNATURE P2=80) answers when it is not
// one: 6986 with no current EF, 6981 for an EF of another kind.
func (m *Model) notKeySW() apdu.SW {
	if m.ef == 0 {
		return apdu.SWNoCurrentEF
	}
	return apdu.SWIncompatibleFile
}

// Actions returns the model's rapid actions; the "" entry is the invariant.
// Every action is valid in every state: where it cannot do its main job it
// checks what the card answers instead of skipping, since a fuzz input can
// pick the same action again and again and rapid gives up on a run whose
// actions all skip.
func (m *Model) Actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"":          m.checkCounters,
		"reset":     func(*rapid.T) { m.card.Reset(); m.endSession() },
		"selectApp": m.selectApp,
		"selectKey": m.selectKey,
		"query":     m.query,
		"verify":    m.verify,
		"read":      m.read,
		"sign":      m.sign,
		"faceAuth":  m.faceAuth,
		"reverse":   m.reverse,
		"unblock":   m.unblock,
	}
}

func (m *Model) selectApp(t *rapid.T) {
	a := rapid.SampledFrom(emulator.Apps()).Draw(t, "app")
	m.expect(t, "select "+a.String(), apdu.Command{INS: 0xA4, P1: 4, P2: 0x0C, Data: a.AID()}, apdu.SWOK)
	m.endSession()
	m.app = a
}

func (m *Model) selectKey(t *rapid.T) {
	pins := m.pinsOf(m.app)
	if len(pins) == 0 {
		// Outside an application there is no key reference (card.md §2); a
		// failed SELECT leaves the current EF as it was.
		m.expect(t, "select a key with no AP", selectCmd(emulator.JPKIAuthPIN.FID()), apdu.SWFileNotFound)
		return
	}
	ref := rapid.SampledFrom(pins).Draw(t, "key")
	m.expect(t, "select "+ref.String(), selectCmd(ref.FID()), apdu.SWOK)
	m.ef = ref.FID()
}

func selectCmd(fid uint16) apdu.Command {
	return apdu.Command{INS: 0xA4, P1: 2, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}}
}

// queryAnswer is what an empty VERIFY answers (card.md §7.2 and the Settings).
func (m *Model) queryAnswer(ref emulator.FileRef) apdu.SW {
	switch {
	case m.left[ref] == 0 && m.settings.BlockedQuery == emulator.BlockedQuery6984:
		return apdu.SWAuthBlocked
	case m.verified[ref] && m.settings.QueryAfterVerify == emulator.QueryAfterVerify9000:
		return apdu.SWOK
	}
	return apdu.RetriesLeft(m.left[ref])
}

func (m *Model) query(t *rapid.T) {
	ref, ok := m.currentPIN()
	if !ok {
		m.expect(t, "query with no key reference selected", apdu.Command{INS: 0x20, P2: 0x80}, m.notKeySW())
		return
	}
	m.expect(t, "query "+ref.String(), apdu.Command{INS: 0x20, P2: 0x80}, m.queryAnswer(ref))
}

func (m *Model) verify(t *rapid.T) {
	ref, ok := m.currentPIN()
	if !ok {
		m.expect(t, "verify with no key reference selected", apdu.Command{INS: 0x20, P2: 0x80, Data: []byte("1234")}, m.notKeySW())
		return
	}
	right := m.secret[ref] != nil && rapid.Bool().Draw(t, "right")
	value := []byte(wrongShape(ref))
	if right {
		value = m.secret[ref]
	} else if bytes.Equal(value, m.secret[ref]) {
		value[0] ^= 1 // still digits (or letters) of the right length
	}
	want := apdu.SWOK
	switch {
	case m.left[ref] == 0:
		want = apdu.SWAuthBlocked
	case !right:
		m.left[ref]--
		want = apdu.RetriesLeft(m.left[ref])
	default:
		m.left[ref] = m.max[ref]
		m.verified[ref] = true
	}
	m.expect(t, fmt.Sprintf("verify %v (right %v)", ref, right), apdu.Command{INS: 0x20, P2: 0x80, Data: value}, want)
}

func (m *Model) read(t *rapid.T) {
	var refs []emulator.FileRef
	for _, fid := range files[m.app] {
		ref := emulator.Ref(m.app, fid)
		if _, guarded := access[ref]; m.files[ref] != nil && (free[ref] || guarded) {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		// Outside an application no EF with data can be selected (card.md §2).
		m.expect(t, "select an EF with no AP", selectCmd(emulator.JPKIAuthCert.FID()), apdu.SWFileNotFound)
		return
	}
	ref := rapid.SampledFrom(refs).Draw(t, "ef")
	m.expect(t, "select "+ref.String(), selectCmd(ref.FID()), apdu.SWOK)
	m.ef = ref.FID()
	keys, guarded := access[ref]
	open := !guarded
	for _, k := range keys {
		open = open || m.verified[k]
	}
	want := apdu.SWOK
	if !open {
		want = apdu.SWSecurityNotSatisfied
	}
	cmd := apdu.Command{INS: 0xB0, Ne: 4}
	if ref.App() == emulator.AppJuki || ref.App() == emulator.AppCommon {
		cmd = apdu.Command{INS: 0xB2, P1: 1, P2: 0x04, Ne: apdu.MaxShortNe}
	}
	r := m.expect(t, "read "+ref.String(), cmd, want)
	if head := m.files[ref][:min(4, len(m.files[ref]))]; open && cmd.INS == 0xB0 && !bytes.Equal(r.Data, head) {
		t.Fatalf("read %v: %X, file starts %X", ref, r.Data, head)
	}
}

var signCmd = apdu.Command{CLA: 0x80, INS: 0x2A, P2: 0x80, Data: sha256DigestInfo, Ne: apdu.MaxShortNe}

func (m *Model) sign(t *rapid.T) {
	if m.app != emulator.AppJPKI {
		// The signing keys are in the JPKI AP; elsewhere the current EF is
		// never one of them.
		m.expect(t, "sign outside the JPKI AP", signCmd, m.notKeySW())
		return
	}
	key := rapid.SampledFrom([]emulator.FileRef{emulator.JPKIAuthKey, emulator.JPKISignKey}).Draw(t, "key")
	if !m.keys[key] && m.settings.AbsentSignCert == emulator.AbsentSignCert6A82 {
		m.expect(t, "select absent "+key.String(), selectCmd(key.FID()), apdu.SWFileNotFound)
		return
	}
	m.expect(t, "select "+key.String(), selectCmd(key.FID()), apdu.SWOK)
	m.ef = key.FID()
	want := apdu.SWOK
	if !m.keys[key] || !m.verified[signers[key]] {
		// An absent key stays selectable but never signs (emulator.AbsentSignCert6982).
		want = apdu.SWSecurityNotSatisfied
	}
	r := m.expect(t, "sign with "+key.String(), signCmd, want)
	if want == apdu.SWOK && len(r.Data) != 256 {
		t.Fatalf("signature of %d bytes", len(r.Data))
	}
}

// fourDigit are the PINs a face-auth conversion locks (card.md §11.2).
var fourDigit = []emulator.FileRef{emulator.JPKIAuthPIN, emulator.TextPIN, emulator.JukiPIN, emulator.CommonPIN}

func (m *Model) issue(t *rapid.T, what string, op func(*emulator.State) error) {
	if err := m.card.Issue(op); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	// What the issuer writes (certificates, 0008) is its business; the
	// model checks what APDUs then read of it.
	m.files = m.card.Snapshot().Files
	m.endSession()
}

// faceAuth converts the card; a card already without a sign certificate
// (no-sign-cert, or face-auth again) converts as well.
func (m *Model) faceAuth(t *rapid.T) {
	m.issue(t, "ConvertToFaceAuth", func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.Reader) })
	for _, ref := range fourDigit {
		m.left[ref], m.secret[ref] = 0, nil
	}
	m.left[emulator.JPKISignPassword] = 0
	delete(m.keys, emulator.JPKISignKey)
	m.isFaceAuth = true
}

func (m *Model) reverse(t *rapid.T) {
	pins := emulator.PINSet{Auth: emulator.Secret("1357"), Text: emulator.Secret("2468"), Juki: emulator.Secret("1111"), Common: emulator.Secret("9876")}
	if !m.isFaceAuth {
		// Only a face-auth card can be reversed; the refused operation
		// changes nothing, not even the session.
		if err := m.card.Issue(func(s *emulator.State) error { return s.ReverseFaceAuth(pins) }); err == nil {
			t.Fatal("ReverseFaceAuth of a card that is not face-auth succeeded")
		}
		return
	}
	m.isFaceAuth = false
	m.issue(t, "ReverseFaceAuth", func(s *emulator.State) error { return s.ReverseFaceAuth(pins) })
	for ref, v := range map[emulator.FileRef]emulator.Secret{
		emulator.JPKIAuthPIN: pins.Auth, emulator.TextPIN: pins.Text, emulator.JukiPIN: pins.Juki, emulator.CommonPIN: pins.Common,
	} {
		m.left[ref], m.secret[ref] = m.max[ref], v
	}
}

func (m *Model) unblock(t *rapid.T) {
	ref := rapid.SampledFrom([]emulator.FileRef{emulator.JPKIAuthPIN, emulator.TextPIN, emulator.JukiPIN}).Draw(t, "ref")
	v := emulator.Secret("4321")
	m.issue(t, "Unblock "+ref.String(), func(s *emulator.State) error { return s.Unblock(ref, v) })
	m.left[ref], m.secret[ref] = m.max[ref], v
}

func (m *Model) checkCounters(t *rapid.T) {
	for ref, p := range m.card.Snapshot().PINs {
		if want, ok := m.left[ref]; ok && p.Remaining != want {
			t.Fatalf("%v counter is %d, model says %d", ref, p.Remaining, want)
		}
	}
}

// modelProperty draws a card kind and runs the Model's actions on it.
func modelProperty(tb testing.TB) func(*rapid.T) {
	states := defaultStates(tb)
	return func(t *rapid.T) {
		s := states[rapid.IntRange(0, len(states)-1).Draw(t, "kind")]
		m, err := NewModel(s)
		if err != nil {
			t.Fatal(err)
		}
		t.Repeat(m.Actions())
	}
}

func TestCardModel(t *testing.T) { rapid.Check(t, modelProperty(t)) }

// FuzzCardModel lets the fuzzing engine drive the model's choices. Its
// regression input, testdata/fuzz/FuzzCardModel/55b3e97a5add6c72, repeats
// one action; testdata/README.md says why it is kept.
func FuzzCardModel(f *testing.F) { f.Fuzz(rapid.MakeFuzz(modelProperty(f))) }
