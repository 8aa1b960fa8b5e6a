package fuzz

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/embedded"
)

// model is the one rapid state machine of the card: its secrets, retry
// counters, security status and access rules (card.md §4, §7) and the
// issuer's operations (§11), predicted from card.md's tables in spec.go
// (access, free, files, keyRefs, signers) and not from the emulator. Every
// action predicts the exact status word of each command it sends; the ""
// action compares the card's secrets, counters, keys and files with the
// model after every step, through emulator.Card.Inspect.
//
// Invariants it holds the card to:
//   - a blocked key answers 69 84 even to its right value, and its counter
//     stays at 0, whether a wrong value or a face-auth conversion blocked it;
//   - a counter falls only on a wrong value and rises (to its maximum) only
//     on the right one or an issuer operation;
//   - an EF or key is read or used only when card.md's access condition is
//     met in this session; the face-auth card still gives out its
//     certificates;
//   - security status is revoked by a failed VERIFY of that key, kept across
//     EF selections and a failed SELECT, and cleared by reset, selecting an
//     application (or the ISD) and every issuer operation;
//   - reversing a face-auth card makes the new PINs work, and only a
//     face-auth card can be reversed; a face-auth card gets no sign
//     certificate and no unblocked 4-digit PIN until then, and is not
//     converted again, nor is an expired-certs card; unblocking works for
//     every other key but text 0012, for the sign password only when there
//     is a sign key, and for the 照合番号 keys only with the value the
//     card's data implies;
//   - a card file round trip (JSON) changes nothing.
//
// Every action is valid in every state: where it cannot do its main job it
// checks what the card answers instead of skipping, since a fuzz input can
// pick the same action again and again and rapid gives up on a run whose
// actions all skip (testdata/README.md).
type model struct {
	card     *emulator.Card
	settings emulator.Settings
	// install is the normal card whose sign certificate and key
	// installSignCert puts on the card.
	install *emulator.State

	files    map[emulator.FileRef][]byte // EF contents, as the issuer left them
	keys     map[emulator.FileRef]bool   // private keys the card holds
	pins     map[emulator.FileRef]*modelPIN
	faceAuth bool // the issuer may reverse the card
	expired  bool // an expired-certs card, which is not converted to face-auth
	holder   emulator.Holder

	app      emulator.App
	ef       uint16 // 0: no current EF
	verified map[emulator.FileRef]bool
}

// modelPIN is a key reference as the issuer knows it. value is nil only for
// text 0012, which has none.
type modelPIN struct {
	value     emulator.Secret
	left, max int
}

func newModel(card *emulator.Card, s, install *emulator.State) *model {
	m := &model{
		card: card, settings: s.Settings, install: install,
		files: maps.Clone(s.Files), keys: map[emulator.FileRef]bool{}, pins: map[emulator.FileRef]*modelPIN{},
		faceAuth: s.Kind == emulator.KindFaceAuth, expired: s.Kind == emulator.KindExpiredCerts,
		holder: s.Holder, verified: map[emulator.FileRef]bool{},
	}
	for ref := range s.Keys {
		m.keys[ref] = true
	}
	for ref, p := range s.PINs {
		m.pins[ref] = &modelPIN{value: bytes.Clone(p.Value), left: p.Remaining, max: p.Max}
	}
	return m
}

// actions returns the model's rapid actions; the "" entry is the check.
// The issuer operations share one action: each ends the session that the
// commands build up, and as actions of their own they would end it too
// often for a wrong VERIFY to meet a key verified before it.
func (m *model) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"":          m.check,
		"read":      m.read,
		"selectApp": m.selectApp,
		"selectKey": m.selectKey,
		"sign":      m.sign,
		"verify":    m.verify,
		"reset":     func(*rapid.T) { m.card.Reset(); m.endSession() },
		"issuer": func(t *rapid.T) {
			ops := []func(*rapid.T){m.convertToFaceAuth, m.installSignCert, m.reverse, m.saveLoad, m.unblock}
			ops[rapid.IntRange(0, len(ops)-1).Draw(t, "op")](t)
		},
	}
}

func (m *model) expect(t *rapid.T, what string, c apdu.Command, want apdu.SW) apdu.Response {
	b := c.Bytes()
	r, err := apdu.ParseResponse(m.card.Transmit(b))
	if err != nil {
		t.Fatalf("%s (%s): %v", what, c, err)
	}
	if r.SW != want {
		t.Fatalf("%s (%s): card answered %s, model expects %s", what, c, r.SW.String(), want.String())
	}
	return r
}

func (m *model) endSession() {
	m.app, m.ef = emulator.AppNone, 0
	clear(m.verified)
}

// enter selects app unless it is current, as a client does before
// addressing one of its keys by reference.
func (m *model) enter(t *rapid.T, app emulator.App) {
	if m.app != app {
		m.expect(t, "select "+app.String(), apdu.SelectAID(app.AID()), apdu.SWOK)
		m.endSession()
		m.app = app
	}
}

// unknownAID is no application's DF name nor a prefix of one.
var unknownAID = append(emulator.AppJPKI.AID()[:9:9], 0xFF)

// selectApp selects an application, the ISD (which returns to the
// power-on state, card.md §2) or an unknown DF name, which fails and
// leaves the session as it was.
func (m *model) selectApp(t *rapid.T) {
	switch i := rapid.IntRange(0, len(emulator.Apps())+1).Draw(t, "app"); {
	case i < len(emulator.Apps()):
		a := emulator.Apps()[i]
		m.expect(t, "select "+a.String(), apdu.SelectAID(a.AID()), apdu.SWOK)
		m.endSession()
		m.app = a
	case i == len(emulator.Apps()):
		m.expect(t, "select the ISD", apdu.SelectAID(ispAID), apdu.SWOK)
		m.endSession()
	default:
		m.expect(t, "select an unknown AP", apdu.SelectAID(unknownAID), apdu.SWFileNotFound)
	}
}

// pinsOf lists the key references of app that the card holds.
func (m *model) pinsOf(app emulator.App) []emulator.FileRef {
	var out []emulator.FileRef
	for _, k := range keyRefs {
		if m.pins[k] != nil && k.App() == app {
			out = append(out, k)
		}
	}
	return out
}

// drawIn draws one of refs; with none (no AP selected, card.md §2) it
// checks instead that SELECT finds no such EF, which leaves the current EF
// as it was.
func (m *model) drawIn(t *rapid.T, refs []emulator.FileRef, what string) (emulator.FileRef, bool) {
	if len(refs) == 0 {
		m.expect(t, "select "+what+" in "+m.app.String(), apdu.SelectEF(emulator.JPKIAuthPIN.FID()), apdu.SWFileNotFound)
		return 0, false
	}
	return rapid.SampledFrom(refs).Draw(t, what), true
}

func (m *model) selectKey(t *rapid.T) {
	if ref, ok := m.drawIn(t, m.pinsOf(m.app), "key"); ok {
		m.expect(t, "select "+ref.String(), apdu.SelectEF(ref.FID()), apdu.SWOK)
		m.ef = ref.FID()
	}
}

// verifiedKeys lists the keys verified in this session, in keyRefs' order.
func (m *model) verifiedKeys() []emulator.FileRef {
	var out []emulator.FileRef
	for _, k := range keyRefs {
		if m.verified[k] {
			out = append(out, k)
		}
	}
	return out
}

// notKeySW is what a command addressing the current EF as a key reference
// or key (P2 = 80) answers when it is not one: 6986 with no current EF,
// 6981 for an EF of another kind.
func (m *model) notKeySW() apdu.SW {
	if m.ef == 0 {
		return apdu.SWNoCurrentEF
	}
	return apdu.SWIncompatibleFile
}

// queryAnswer is what an empty VERIFY answers (card.md §7.2 and the Settings).
func (m *model) queryAnswer(ref emulator.FileRef) apdu.SW {
	p := m.pins[ref]
	switch {
	case p.left == 0 && m.settings.BlockedQuery == emulator.BlockedQuery6984:
		return apdu.SWAuthBlocked
	case m.verified[ref] && m.settings.QueryAfterVerify == emulator.QueryAfterVerify9000:
		return apdu.SWOK
	}
	return apdu.RetriesLeft(p.left)
}

// verify presents the right value, a wrong one of the right format, or
// none (a query) to a key named as the current EF or by reference.
func (m *model) verify(t *rapid.T) {
	mode := rapid.SampledFrom([]string{"right", "wrong", "query"}).Draw(t, "mode")
	var ref emulator.FileRef
	p2 := apdu.CurrentEF
	if rapid.Bool().Draw(t, "byRef") {
		refs := m.pinsOf(m.app)
		if len(refs) == 0 || rapid.Bool().Draw(t, "otherAP") {
			refs = keyRefs
		} else if again := m.verifiedKeys(); len(again) > 0 && rapid.Bool().Draw(t, "again") {
			refs = again // a wrong value now must revoke the status
		}
		ref = rapid.SampledFrom(refs).Draw(t, "ref")
		m.enter(t, ref.App())
		p2 = apdu.KeyRef(ref.FID())
		if m.pins[ref] == nil {
			// The sign password of a card never given one.
			m.expect(t, "verify missing "+ref.String(), apdu.VerifyQuery(p2), apdu.SWDataNotFound)
			return
		}
	} else {
		ref = emulator.Ref(m.app, m.ef)
		if m.ef == 0 || m.pins[ref] == nil {
			m.expect(t, "verify with no key reference current", apdu.Verify(p2, []byte("1234")), m.notKeySW())
			return
		}
	}
	p := m.pins[ref]
	what := fmt.Sprintf("%s %v (%d left)", mode, ref, p.left)
	if mode == "query" {
		m.expect(t, what, apdu.VerifyQuery(p2), m.queryAnswer(ref))
		return
	}
	value := []byte(wrongShape(ref))
	if mode == "right" && p.value != nil {
		value = p.value
	} else if bytes.Equal(value, p.value) {
		value[0] ^= 1 // still a digit (or letter) of the right format
	}
	right := bytes.Equal(value, p.value)
	want := apdu.SWOK
	switch {
	case p.left == 0:
		want = apdu.SWAuthBlocked
	case !right:
		p.left--
		m.verified[ref] = false
		want = apdu.RetriesLeft(p.left)
	default:
		p.left = p.max
		m.verified[ref] = true
	}
	m.expect(t, what, apdu.Verify(p2, value), want)
}

// records are the record EFs (card.md §4.4, §4.5); the others with data
// are transparent.
var records = map[emulator.FileRef]bool{
	emulator.Ref(emulator.AppJuki, 0x0002): true, emulator.CommonSerial: true, emulator.Ref(emulator.AppCommon, 0x0002): true,
}

// readable lists the EFs of the current application whose access card.md
// gives (free, or listed in access), and its key references, which no read
// opens.
func (m *model) readable() []emulator.FileRef {
	var out []emulator.FileRef
	for _, fid := range files[m.app] {
		ref := emulator.Ref(m.app, fid)
		if _, guarded := access[ref]; guarded || free[ref] {
			out = append(out, ref)
		}
	}
	return append(out, m.pinsOf(m.app)...)
}

// exists reports whether SELECT finds ref: it has contents, or it is an EF
// nothing opens (JPKI 0009), or the absent sign certificate that
// emulator.AbsentSignCert6982 keeps selectable.
func (m *model) exists(ref emulator.FileRef) bool {
	keys, guarded := access[ref]
	return m.files[ref] != nil || m.pins[ref] != nil || guarded && keys == nil ||
		ref == emulator.JPKISignCert && m.settings.AbsentSignCert == emulator.AbsentSignCert6982
}

// opens reports whether this session meets ref's access condition.
func (m *model) opens(ref emulator.FileRef) bool {
	keys, guarded := access[ref]
	if !guarded {
		return free[ref]
	}
	for _, k := range keys {
		if m.verified[k] {
			return true
		}
	}
	return false
}

// read reads an EF of the current application with READ BINARY or READ
// RECORD, after selecting it or naming it by SFI.
func (m *model) read(t *rapid.T) {
	ref, ok := m.drawIn(t, m.readable(), "ef")
	if !ok {
		return
	}
	record := rapid.Bool().Draw(t, "record")
	sfi := byte(0)
	if rapid.Bool().Draw(t, "bySFI") {
		sfi = byte(ref.FID())
	} else if m.exists(ref) {
		m.expect(t, "select "+ref.String(), apdu.SelectEF(ref.FID()), apdu.SWOK)
	} else {
		m.expect(t, "select missing "+ref.String(), apdu.SelectEF(ref.FID()), apdu.SWFileNotFound)
		return
	}
	cmd := apdu.ReadBinary(0, 4)
	switch {
	case record:
		cmd = apdu.ReadRecord(1, sfi, apdu.MaxShortNe)
	case sfi != 0:
		cmd = apdu.ReadBinarySFI(sfi, 0, 4)
	}
	want := apdu.SWOK
	switch {
	case !m.exists(ref):
		want = apdu.SWFileNotFound
	case m.pins[ref] != nil || records[ref] != record:
		want = apdu.SWIncompatibleFile
	case m.files[ref] == nil || !m.opens(ref):
		want = apdu.SWSecurityNotSatisfied
	}
	if want != apdu.SWFileNotFound {
		m.ef = ref.FID() // a read by SFI makes the EF current
	}
	r := m.expect(t, "read "+ref.String(), cmd, want)
	if want != apdu.SWOK {
		return
	}
	f := m.files[ref]
	head := f[:min(4, len(f))]
	if record {
		head = f[:min(2+int(f[1]), len(f))] // record 1: a short simple-TLV
	}
	if !bytes.Equal(r.Data, head) {
		t.Fatalf("read %v: %X, model expects %X", ref, r.Data, head)
	}
}

// signKeys are the JPKI keys, signers' keys in a fixed order for rapid.
var signKeys = []emulator.FileRef{emulator.JPKIAuthKey, emulator.JPKISignKey}

// sign signs with a JPKI key selected as the current EF or named by
// reference.
func (m *model) sign(t *rapid.T) {
	key := rapid.SampledFrom(signKeys).Draw(t, "key")
	cmd := apdu.ComputeSignature(apdu.SignPKCS1, sha256DigestInfo)
	absent := !m.keys[key]
	switch {
	case rapid.Bool().Draw(t, "byRef"):
		m.enter(t, emulator.AppJPKI)
		cmd.P2 = apdu.KeyRef(key.FID())
		if absent && m.settings.AbsentSignCert == emulator.AbsentSignCert6A82 {
			m.expect(t, "sign with missing "+key.String(), cmd, apdu.SWDataNotFound)
			return
		}
	case m.app != emulator.AppJPKI:
		// The signing keys are in the JPKI AP; elsewhere the current EF is
		// never one of them.
		m.expect(t, "sign outside the JPKI AP", cmd, m.notKeySW())
		return
	case absent && m.settings.AbsentSignCert == emulator.AbsentSignCert6A82:
		m.expect(t, "select missing "+key.String(), apdu.SelectEF(key.FID()), apdu.SWFileNotFound)
		return
	default:
		m.expect(t, "select "+key.String(), apdu.SelectEF(key.FID()), apdu.SWOK)
		m.ef = key.FID()
	}
	want := apdu.SWOK
	if absent || !m.verified[signers[key]] {
		// An absent key stays selectable but never signs (emulator.AbsentSignCert6982).
		want = apdu.SWSecurityNotSatisfied
	}
	r := m.expect(t, "sign with "+key.String(), cmd, want)
	if want == apdu.SWOK && len(r.Data) != 256 {
		t.Fatalf("signature of %d bytes", len(r.Data))
	}
}

// issue runs an issuer operation and reports whether the card took it; the
// card ends the session only when it did.
func (m *model) issue(op func(*emulator.State) error) bool {
	if m.card.Issue(op) != nil {
		return false
	}
	m.endSession()
	return true
}

// setCertStatus writes byte 0 of JPKI 0008, which says whether there is a
// sign certificate (card.md §4.1).
func (m *model) setCertStatus(b byte) {
	st := bytes.Clone(m.files[emulator.JPKICertStatus])
	st[0] = b
	m.files[emulator.JPKICertStatus] = st
}

// fourDigit are the PINs a face-auth conversion locks (card.md §11.2).
var fourDigit = []emulator.FileRef{emulator.JPKIAuthPIN, emulator.TextPIN, emulator.JukiPIN, emulator.CommonPIN}

// convertToFaceAuth converts the card, also one already without a sign
// certificate, and checks that its certificates can still be read; a
// face-auth or expired-certs card is refused (card.md §11.1).
func (m *model) convertToFaceAuth(t *rapid.T) {
	want := !m.faceAuth && !m.expired
	if ok := m.issue(func(s *emulator.State) error { return s.ConvertToFaceAuth(rand.Reader) }); ok != want {
		t.Fatalf("ConvertToFaceAuth (face-auth %v, expired %v): accepted %v", m.faceAuth, m.expired, ok)
	}
	if !want {
		return
	}
	locked := fourDigit
	if m.pins[emulator.JPKISignPassword] != nil {
		locked = append(locked[:len(locked):len(locked)], emulator.JPKISignPassword)
	}
	// The issuer knows the random values it set, so verify tries them too
	// and must be refused.
	m.card.Inspect(func(s *emulator.State) {
		for _, ref := range locked {
			p := m.pins[ref]
			p.value, p.left = bytes.Clone(s.PINs[ref].Value), 0
		}
	})
	delete(m.keys, emulator.JPKISignKey)
	delete(m.files, emulator.JPKISignCert)
	m.setCertStatus(0x00)
	m.faceAuth = true
	m.enter(t, emulator.AppJPKI)
	ref := rapid.SampledFrom([]emulator.FileRef{emulator.JPKIAuthCert, emulator.JPKIAuthCACert, emulator.JPKISignCACert}).Draw(t, "cert")
	r := m.expect(t, "face-auth card: read "+ref.String(), apdu.ReadBinarySFI(byte(ref.FID()), 0, 4), apdu.SWOK)
	m.ef = ref.FID()
	if !bytes.Equal(r.Data, m.files[ref][:4]) {
		t.Fatalf("face-auth card: %v starts %X, model expects %X", ref, r.Data, m.files[ref][:4])
	}
}

// secretFormats are what each key reference's value looks like (card.md
// §7.1); the sign password gets a letter and a digit, as its rule asks.
var secretFormats = map[emulator.FileRef]string{
	emulator.JPKIAuthPIN: `[0-9]{4}`, emulator.TextPIN: `[0-9]{4}`, emulator.JukiPIN: `[0-9]{4}`, emulator.CommonPIN: `[0-9]{4}`,
	emulator.JPKISignPassword: `[A-Z]{3,8}[0-9]{3,8}`,
	emulator.TextPINA:         `[0-9]{12}`, emulator.VisualPINA: `[0-9]{12}`,
	emulator.TextPINB: `[0-9]{14}`, emulator.VisualPINB: `[0-9]{14}`,
	emulator.VisualDOBKey: `[0-9]{6}`,
}

// drawSecret draws a value of ref's format; text 0012 has none and gets a
// 4-digit one the issuer must refuse.
func drawSecret(t *rapid.T, ref emulator.FileRef) emulator.Secret {
	f, ok := secretFormats[ref]
	if !ok {
		f = `[0-9]{4}`
	}
	return emulator.Secret(rapid.StringMatching(f).Draw(t, "value "+ref.String()))
}

// setPIN is what every issuer operation does to a key it sets: a new
// value and a full counter.
func (m *model) setPIN(ref emulator.FileRef, v emulator.Secret) {
	p := m.pins[ref]
	p.value, p.left = v, p.max
}

// reverse ends face-auth mode with four new PINs; on any other card the
// issuer refuses and nothing changes, not even the session.
func (m *model) reverse(t *rapid.T) {
	v := map[emulator.FileRef]emulator.Secret{}
	for _, ref := range fourDigit {
		v[ref] = drawSecret(t, ref)
	}
	pins := emulator.PINSet{Auth: v[emulator.JPKIAuthPIN], Text: v[emulator.TextPIN], Juki: v[emulator.JukiPIN], Common: v[emulator.CommonPIN]}
	if ok := m.issue(func(s *emulator.State) error { return s.ReverseFaceAuth(pins) }); ok != m.faceAuth {
		t.Fatalf("ReverseFaceAuth (face-auth %v): accepted %v", m.faceAuth, ok)
	}
	if m.faceAuth {
		for ref, s := range v {
			m.setPIN(ref, s)
		}
		m.faceAuth = false
	}
}

// unblock resets any key reference; text 0012, the sign password of a
// card without a sign key, a 4-digit PIN of a face-auth card and a 照合番号
// other than the card's own are refused.
func (m *model) unblock(t *rapid.T) {
	ref := rapid.SampledFrom(keyRefs).Draw(t, "ref")
	v := drawSecret(t, ref)
	implied, derived, err := m.holder.ImpliedSecret(ref)
	if err != nil {
		t.Fatal(err)
	}
	if derived && rapid.Bool().Draw(t, "implied value") {
		v = implied
	}
	want := m.pins[ref] != nil && ref != emulator.TextBlockedKey && (ref != emulator.JPKISignPassword || m.keys[emulator.JPKISignKey]) &&
		!(m.faceAuth && slices.Contains(fourDigit, ref)) && (!derived || bytes.Equal(v, implied))
	if ok := m.issue(func(s *emulator.State) error { return s.Unblock(ref, v) }); ok != want {
		t.Fatalf("Unblock %v: accepted %v, model expects %v", ref, ok, want)
	}
	if want {
		m.setPIN(ref, v)
	}
}

// installSignCert gives the card a sign certificate, key and password (the
// normal card's); a face-auth card is refused until it is reversed.
func (m *model) installSignCert(t *rapid.T) {
	pass := drawSecret(t, emulator.JPKISignPassword)
	cert, key := m.install.Files[emulator.JPKISignCert], m.install.Keys[emulator.JPKISignKey]
	if ok := m.issue(func(s *emulator.State) error { return s.InstallSignCert(cert, key, pass) }); ok == m.faceAuth {
		t.Fatalf("InstallSignCert (face-auth %v): accepted %v", m.faceAuth, ok)
	}
	if m.faceAuth {
		return
	}
	if m.pins[emulator.JPKISignPassword] == nil {
		m.pins[emulator.JPKISignPassword] = &modelPIN{max: 5} // card.md §7.1
	}
	m.setPIN(emulator.JPKISignPassword, pass)
	m.keys[emulator.JPKISignKey] = true
	m.files[emulator.JPKISignCert] = cert
	m.setCertStatus(0x8F)
}

// stateCmp compares byte strings with bytes.Equal: element-wise diffs of
// certificates make the model crawl. Secret is assignable to []byte, so
// the comparer covers it too.
var stateCmp = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

// saveLoad writes the card as a card file's JSON, reads it back and goes on
// with a card made from it, as after a restart of `mynacard serve`.
func (m *model) saveLoad(t *rapid.T) {
	saved := m.card.Snapshot()
	b, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	loaded := new(emulator.State)
	if err := json.Unmarshal(b, loaded); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(saved, loaded, stateCmp); d != "" {
		t.Fatalf("card file round trip (-saved +loaded):\n%s", d)
	}
	if m.card, err = emulator.New(loaded); err != nil {
		t.Fatal(err)
	}
	m.endSession()
}

// check compares the card's session (application, keys verified) and
// its secrets, counters, keys, files and kind with the model's.
func (m *model) check(t *rapid.T) {
	if app := m.card.Selected(); app != m.app {
		t.Fatalf("card is in %v, model in %v", app, m.app)
	}
	if got, want := m.card.Verified(), m.verifiedKeys(); !slices.Equal(got, want) {
		t.Fatalf("card has %v verified, model %v", got, want)
	}
	m.card.Inspect(func(s *emulator.State) {
		if len(s.PINs) != len(m.pins) {
			t.Fatalf("card has %d key references, model %d", len(s.PINs), len(m.pins))
		}
		for ref, p := range m.pins {
			got := s.PINs[ref]
			switch {
			case got == nil:
				t.Fatalf("%v missing", ref)
			case got.Remaining != p.left || got.Max != p.max:
				t.Fatalf("%v counter %d/%d, model %d/%d", ref, got.Remaining, got.Max, p.left, p.max)
			case !bytes.Equal(got.Value, p.value):
				t.Fatalf("%v value changed behind the model", ref)
			}
		}
		if _, ok := s.Keys[emulator.JPKISignKey]; ok != m.keys[emulator.JPKISignKey] {
			t.Fatalf("sign key present %v, model %v", ok, m.keys[emulator.JPKISignKey])
		}
		if !maps.EqualFunc(s.Files, m.files, bytes.Equal) {
			t.Fatalf("files differ from the model's")
		}
		if (s.Kind == emulator.KindFaceAuth) != m.faceAuth {
			t.Fatalf("card kind %v, model face-auth %v", s.Kind, m.faceAuth)
		}
	})
}

// modelCard is what a run starts from: a card kind and the Settings card.md
// leaves open that change what the model predicts.
type modelCard struct {
	kind                                  int
	absent6A82, blocked6984, verified9000 bool
}

// modelProperty draws a card kind and settings, restores a kept card of
// that sort (embedded.Target.Restore) and runs the model on it.
func modelProperty(tb testing.TB) func(*rapid.T) {
	states := defaultStates(tb)
	targets := map[modelCard]*embedded.Target{}
	return func(t *rapid.T) {
		k := modelCard{
			kind:         rapid.IntRange(0, len(states)-1).Draw(t, "kind"),
			absent6A82:   rapid.Bool().Draw(t, "absent6A82"),
			blocked6984:  rapid.Bool().Draw(t, "blocked6984"),
			verified9000: rapid.Bool().Draw(t, "verified9000"),
		}
		target := targets[k]
		if target == nil {
			s := states[k.kind].Clone()
			if k.absent6A82 {
				s.Settings.AbsentSignCert = emulator.AbsentSignCert6A82
			}
			if k.blocked6984 {
				s.Settings.BlockedQuery = emulator.BlockedQuery6984
			}
			if k.verified9000 {
				s.Settings.QueryAfterVerify = emulator.QueryAfterVerify9000
			}
			var err error
			if target, err = embedded.New(fmt.Sprintf("%+v", k), s); err != nil {
				t.Fatal(err)
			}
			targets[k] = target
		} else if err := target.Restore(); err != nil {
			t.Fatal(err)
		}
		// states[0] is the normal card (profile.Kinds), which has a sign certificate to install.
		t.Repeat(newModel(target.Card(), target.Initial(), states[0]).actions())
	}
}

func TestCardModel(t *testing.T) { rapid.Check(t, modelProperty(t)) }

// FuzzCardModel lets the fuzzing engine drive the model's choices. Its
// regression input, testdata/fuzz/FuzzCardModel/55b3e97a5add6c72, repeats
// one action; testdata/README.md says why it is kept.
func FuzzCardModel(f *testing.F) { f.Fuzz(rapid.MakeFuzz(modelProperty(f))) }
