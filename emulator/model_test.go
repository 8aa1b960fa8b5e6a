package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mynacard/mynacard/apdu"
	"pgregory.net/rapid"
)

// card.md's access tables (§4, §7.1), written out again independently of
// fs.go so the model checks the card against card.md, not against itself.
// A nil list means free; an empty non-nil list means never.
var specAccess = map[FileRef][]FileRef{
	JPKISignCert:         {JPKISignPassword},
	JPKISignCACert:       nil,
	JPKIToken:            nil,
	JPKICertStatus:       nil,
	Ref(AppJPKI, 0x0009): {},
	JPKIAuthCert:         nil,
	JPKIAuthCACert:       nil,
	TextMyNumber:         {TextPIN, TextPINA},
	TextAttributes:       {TextPIN, TextPINB},
	TextIntegrity:        {TextPIN, TextPINA, TextPINB},
	TextCVCert:           nil,
	TextBasicInfo:        nil,
	Ref(AppText, 0x0006): {TextPIN, TextPINA, TextPINB},
	Ref(AppText, 0x0007): {TextPIN, TextPINA, TextPINB},
	VisualAgeRecord:      {VisualDOBKey},
	VisualCardFace:       {VisualPINA, VisualPINB},
	VisualBasicInfo:      nil,
	VisualCVCert:         nil,
	VisualMyNumber:       {VisualPINA},
	Ref(AppVisual, 6):    {VisualPINA, VisualPINB},
}

// Keys used through COMPUTE SIGNATURE and the key ref that unlocks each.
var specSignKeys = map[FileRef]FileRef{JPKIAuthKey: JPKIAuthPIN, JPKISignKey: JPKISignPassword}

var modelPINs = []FileRef{JPKIAuthPIN, JPKISignPassword, TextPIN, TextBlockedKey, TextPINA, TextPINB, VisualDOBKey, VisualPINB, VisualPINA, JukiPIN, CommonPIN}

type modelPIN struct {
	value     Secret // nil: unknown (set at random by the issuer)
	remaining int
	max       int
}

type cardModel struct {
	app      App
	verified map[FileRef]bool
	pins     map[FileRef]*modelPIN
	signCert bool
	kind     Kind
}

func newModel(s *State) *cardModel {
	m := &cardModel{verified: map[FileRef]bool{}, pins: map[FileRef]*modelPIN{}, signCert: true, kind: s.Kind}
	for ref, p := range s.PINs {
		m.pins[ref] = &modelPIN{value: bytes.Clone(p.Value), remaining: p.Remaining, max: p.Max}
	}
	return m
}

func (m *cardModel) reset() { m.app, m.verified = AppNone, map[FileRef]bool{} }

func (m *cardModel) opens(ref FileRef) bool {
	need, ok := specAccess[ref]
	if !ok {
		panic(fmt.Sprintf("no card.md access for %v", ref))
	}
	if need == nil {
		return true
	}
	for _, k := range need {
		if m.verified[k] {
			return true
		}
	}
	return false
}

// wrongValue is a value of the right format that is not v.
func wrongValue(ref FileRef, v Secret) Secret {
	w := map[FileRef]string{JPKISignPassword: "WRONG1", TextPINA: "000000000000", VisualPINA: "000000000000",
		TextPINB: "00000000000000", VisualPINB: "00000000000000", VisualDOBKey: "000000"}[ref]
	if w == "" {
		w = "0000"
	}
	if bytes.Equal([]byte(w), v) {
		w = w[:len(w)-1] + "1"
	}
	return Secret(w)
}

// stateCmp compares byte strings with bytes.Equal: element-wise diffs of
// certificates make the model test crawl. Secret is assignable to []byte,
// so the comparer covers it too.
var stateCmp = cmp.Options{
	cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) }),
}

func TestModel(t *testing.T) {
	base := NewTestState(t)
	rapid.Check(t, func(t *rapid.T) {
		s := base.Clone()
		s.Settings.AbsentSignCert = rapid.SampledFrom([]AbsentSignCert{AbsentSignCert6982, AbsentSignCert6A82}).Draw(t, "absent")
		c, err := New(s)
		if err != nil {
			t.Fatal(err)
		}
		m := newModel(s)
		tx := func(cmd []byte) apdu.Response {
			r, err := apdu.ParseResponse(c.Transmit(cmd))
			if err != nil {
				t.Fatalf("% X: %v", cmd, err)
			}
			return r
		}
		expect := func(what string, r apdu.Response, want apdu.SW) {
			if r.SW != want {
				t.Fatalf("%s: SW %s, want %s", what, r.SW.String(), want.String())
			}
		}
		issue := func(name string, op func(*State) error) bool {
			if err := c.Issue(op); err != nil {
				t.Logf("%s: %v", name, err)
				return false
			}
			m.reset()
			return true
		}
		t.Repeat(map[string]func(*rapid.T){
			"select AP": func(t *rapid.T) {
				a := rapid.SampledFrom(Apps()).Draw(t, "app")
				expect("SELECT "+a.String(), tx(append(h("00A4040C0A"), a.AID()...)), apdu.SWOK)
				m.app, m.verified = a, map[FileRef]bool{}
			},
			"verify": func(t *rapid.T) {
				ref := rapid.SampledFrom(modelPINs).Draw(t, "ref")
				mode := rapid.SampledFrom([]string{"right", "wrong", "empty"}).Draw(t, "mode")
				if ref.App() != m.app {
					expect("SELECT", tx(append(h("00A4040C0A"), ref.App().AID()...)), apdu.SWOK)
					m.app, m.verified = ref.App(), map[FileRef]bool{}
				}
				p := m.pins[ref]
				var data []byte
				switch mode {
				case "right":
					data = p.value
				case "wrong":
					data = wrongValue(ref, p.value)
				}
				if mode != "empty" && len(data) == 0 {
					data = Secret("0000") // 0012 and unknown values
				}
				cmd := apdu.Command{INS: 0x20, P2: 0x80 | byte(ref.FID()), Data: data}
				r := tx(cmd.Bytes())
				blocked := p.remaining == 0
				switch {
				case mode == "empty" && blocked:
					expect("query blocked "+ref.String(), r, apdu.RetriesLeft(0))
				case mode == "empty":
					expect("query "+ref.String(), r, apdu.RetriesLeft(p.remaining))
				case blocked:
					expect("verify blocked "+ref.String(), r, apdu.SWAuthBlocked)
					m.verified[ref] = false
				case p.value != nil && bytes.Equal(data, p.value):
					expect("verify right "+ref.String(), r, apdu.SWOK)
					p.remaining, m.verified[ref] = p.max, true
				default:
					p.remaining--
					expect("verify wrong "+ref.String(), r, apdu.RetriesLeft(p.remaining))
					m.verified[ref] = false
				}
			},
			"read binary": func(t *rapid.T) {
				var refs []FileRef
				for ref := range specAccess {
					if ref.App() == m.app {
						refs = append(refs, ref)
					}
				}
				if len(refs) == 0 {
					r := tx(h("00B0810004"))
					if r.SW == apdu.SWOK {
						t.Fatalf("READ BINARY with no AP answered data")
					}
					return
				}
				ref := rapid.SampledFrom(sortedRefs(refs)).Draw(t, "ef")
				r := tx([]byte{0x00, 0xB0, 0x80 | byte(ref.FID()), 0x00, 0x04})
				switch {
				case ref == JPKISignCert && !m.signCert && s.Settings.AbsentSignCert == AbsentSignCert6A82:
					expect("read absent "+ref.String(), r, apdu.SWFileNotFound)
				case ref == JPKISignCert && !m.signCert:
					expect("read absent "+ref.String(), r, apdu.SWSecurityNotSatisfied)
				case m.opens(ref):
					expect("read "+ref.String(), r, apdu.SWOK)
					f := c.Snapshot().Files[ref]
					if want := f[:min(4, len(f))]; !bytes.Equal(r.Data, want) {
						t.Fatalf("read %v: % X, want % X", ref, r.Data, want)
					}
				default:
					expect("read protected "+ref.String(), r, apdu.SWSecurityNotSatisfied)
				}
			},
			"sign": func(t *rapid.T) {
				key := rapid.SampledFrom([]FileRef{JPKIAuthKey, JPKISignKey}).Draw(t, "key")
				if m.app != AppJPKI {
					expect("SELECT", tx(h(selJPKI)), apdu.SWOK)
					m.app, m.verified = AppJPKI, map[FileRef]bool{}
				}
				r := tx([]byte{0x80, 0x2A, 0x00, 0x80 | byte(key.FID()), 0x01, 0xAA, 0x00})
				switch {
				case key == JPKISignKey && !m.signCert && s.Settings.AbsentSignCert == AbsentSignCert6A82:
					expect("sign absent", r, apdu.SWDataNotFound)
				case key == JPKISignKey && !m.signCert:
					expect("sign absent", r, apdu.SWSecurityNotSatisfied)
				case m.verified[specSignKeys[key]]:
					expect("sign "+key.String(), r, apdu.SWOK)
				default:
					expect("sign locked "+key.String(), r, apdu.SWSecurityNotSatisfied)
				}
			},
			"reset": func(t *rapid.T) {
				c.Reset()
				m.reset()
			},
			"face-auth": func(t *rapid.T) {
				if issue("face-auth", func(s *State) error { return s.ConvertToFaceAuth(rand.Reader) }) {
					for _, ref := range append(fourDigitPINs[:], JPKISignPassword) {
						m.pins[ref].value, m.pins[ref].remaining = nil, 0
					}
					m.signCert, m.kind = false, KindFaceAuth
				}
			},
			"reverse": func(t *rapid.T) {
				d := func(name string) Secret {
					return Secret(rapid.StringMatching(`[0-9]{4}`).Draw(t, name))
				}
				p := PINSet{Auth: d("auth"), Text: d("text"), Juki: d("juki"), Common: d("common")}
				ok := issue("reverse", func(s *State) error { return s.ReverseFaceAuth(p) })
				if ok != (m.kind == KindFaceAuth) {
					t.Fatalf("reverse on a %q card: ok=%v", m.kind, ok)
				}
				if ok {
					for ref, v := range p.byRef() {
						m.pins[ref].value, m.pins[ref].remaining = v, m.pins[ref].max
					}
					m.kind = KindNoSignCert
				}
			},
			"unblock": func(t *rapid.T) {
				ref := rapid.SampledFrom(modelPINs).Draw(t, "ref")
				v, _ := randomSecret(rand.Reader, ref)
				switch ref {
				case TextPINA, VisualPINA:
					v = Secret("123456789018")
				case TextPINB, VisualPINB:
					v = Secret("55021720352285")
				case VisualDOBKey:
					v = Secret("550217")
				}
				ok := issue("unblock", func(s *State) error { return s.Unblock(ref, v) })
				want := ref != TextBlockedKey && (ref != JPKISignPassword || m.signCert)
				if ok != want {
					t.Fatalf("unblock %v: ok=%v, want %v", ref, ok, want)
				}
				if ok {
					m.pins[ref].value, m.pins[ref].remaining = v, m.pins[ref].max
				}
			},
			"install sign cert": func(t *rapid.T) {
				loadTestKeys()
				pass := Secret(rapid.StringMatching(`[A-Z0-9]{6,16}`).Draw(t, "password"))
				if issue("install", func(s *State) error {
					return s.InstallSignCert(base.Files[JPKISignCert], base.Keys[JPKISignKey], pass)
				}) {
					m.signCert = true
					p := m.pins[JPKISignPassword]
					p.value, p.remaining = pass, p.max
				}
			},
			"save and load": func(t *rapid.T) {
				// The card file's contents; cardfile tests the file itself.
				snap := c.Snapshot()
				b, err := json.Marshal(snap)
				if err != nil {
					t.Fatal(err)
				}
				loaded := new(State)
				if err := json.Unmarshal(b, loaded); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(snap, loaded, stateCmp); d != "" {
					t.Fatalf("round trip (-saved +loaded):\n%s", d)
				}
				if c, err = New(loaded); err != nil {
					t.Fatal(err)
				}
				m.reset()
			},
			"": func(t *rapid.T) {
				snap := c.Snapshot()
				for ref, p := range m.pins {
					got := snap.PINs[ref]
					if got.Remaining != p.remaining {
						t.Fatalf("%v: card counter %d, model %d", ref, got.Remaining, p.remaining)
					}
					if p.value != nil && !bytes.Equal(got.Value, p.value) {
						t.Fatalf("%v: value changed behind the model", ref)
					}
					if got.Blocked() && m.verified[ref] {
						t.Fatalf("%v: blocked but verified", ref)
					}
				}
				if _, ok := snap.Files[JPKISignCert]; ok != m.signCert {
					t.Fatalf("sign cert present %v, model %v", ok, m.signCert)
				}
			},
		})
	})
}

func sortedRefs(refs []FileRef) []FileRef {
	out := append([]FileRef(nil), refs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].App() < out[i].App() || out[j].App() == out[i].App() && out[j].FID() < out[i].FID() {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
