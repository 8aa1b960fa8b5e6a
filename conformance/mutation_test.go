package conformance

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// mutant is an emulated card with one deliberate defect, to prove that
// the suite notices it. The defects are bugs a card or emulator author
// makes; they are planted from outside, without hooks in the emulator:
// by editing the card's state before it starts, or by a layer that sees
// every command, tracks the session as the card does, and answers some
// commands differently.
type mutant struct {
	*Embedded
	prof Profile
	app  emulator.App
	ef   uint16 // last EF selected
	// session holds the right values verified since the last SELECT of an
	// application or reset, as the card's security status does.
	session map[emulator.FileRef]emulator.Secret
	last    emulator.FileRef // key of the last successful VERIFY
	// held survives a reset, kept a SELECT of another application, for
	// cards that wrongly keep their security status.
	held, kept map[emulator.FileRef]emulator.Secret
	// left is a counter the mutant keeps itself, for a wrong limit.
	left int

	bug   func(m *mutant, c apdu.Command) []byte // nil: the card answers
	reset func(m *mutant) error                  // nil: a plain reset
	issue func(m *mutant, op func(*emulator.State) error) error
	fresh func(m *mutant) // sets the bug's own state; run again on Restore
}

func newMutant(t testing.TB, kind emulator.Kind, edit func(*emulator.State)) *mutant {
	t.Helper()
	e, err := EmbeddedKind(kind)
	if err != nil {
		t.Fatal(err)
	}
	prof := e.Profile()
	if edit != nil {
		s := e.Initial().Clone()
		edit(s)
		if e, err = NewEmbedded("mutant", s); err != nil {
			t.Fatal(err)
		}
	}
	return &mutant{Embedded: e, prof: prof, session: map[emulator.FileRef]emulator.Secret{}, kept: map[emulator.FileRef]emulator.Secret{}}
}

func (m *mutant) Caps() Caps { return Caps{Issuer: m} }

func (m *mutant) Transmit(raw []byte) ([]byte, error) {
	c, err := apdu.ParseCommand(raw)
	if err != nil || m.bug == nil {
		return m.forward(raw, c, err), nil
	}
	return m.bug(m, c), nil
}

// pass lets the card answer c and tracks the session.
func (m *mutant) pass(c apdu.Command) []byte { return m.forward(c.Bytes(), c, nil) }

func (m *mutant) forward(raw []byte, c apdu.Command, perr error) []byte {
	resp, _ := m.Embedded.Transmit(raw)
	if perr != nil || c.CLA != 0 || sw(resp) != apdu.SWOK && c.INS != 0x20 {
		return resp
	}
	switch {
	case c.INS == 0xA4 && c.P1 == 0x04:
		m.app, _ = emulator.AppByAID(c.Data)
		m.ef = 0
		clear(m.session)
	case c.INS == 0xA4 && c.P1 == 0x02 && len(c.Data) == 2:
		m.ef = uint16(c.Data[0])<<8 | uint16(c.Data[1])
	case c.INS == 0x20 && len(c.Data) > 0:
		ref := m.keyOf(c)
		if sw(resp) == apdu.SWOK {
			m.session[ref], m.last = bytes.Clone(c.Data), ref
		} else {
			delete(m.session, ref)
		}
	}
	return resp
}

// keyOf is the key reference a VERIFY names (card.md §5: P2 80 or 80|SFI).
func (m *mutant) keyOf(c apdu.Command) emulator.FileRef {
	if c.P2 == 0x80 {
		return emulator.Ref(m.app, m.ef)
	}
	return emulator.Ref(m.app, uint16(c.P2&0x1F))
}

// replay presents value for ref in the current application again, and
// leaves the EF selected as it was.
func (m *mutant) replay(ref emulator.FileRef, value []byte) {
	ef := m.ef
	m.pass(apdu.SelectEF(ref.FID()))
	m.pass(apdu.Verify(apdu.CurrentEF, value))
	if ef != 0 {
		m.pass(apdu.SelectEF(ef))
	}
}

func (m *mutant) Reset() error {
	m.held = maps.Clone(m.session)
	clear(m.session)
	m.app, m.ef = emulator.AppNone, 0
	if m.reset != nil {
		return m.reset(m)
	}
	return m.Embedded.Reset()
}

func (m *mutant) Issue(op func(*emulator.State) error) error {
	clear(m.session)
	m.app, m.ef = emulator.AppNone, 0
	if m.issue != nil {
		return m.issue(m, op)
	}
	return m.Embedded.Issue(op)
}

func (m *mutant) Restore() error {
	if m.fresh != nil {
		m.fresh(m)
	}
	return m.Embedded.Restore()
}

func sw(resp []byte) apdu.SW {
	return apdu.SW(uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1]))
}

// rewrite is a bug that changes the card's answers, not its state.
func rewrite(f func(m *mutant, c apdu.Command, resp []byte) []byte) func(*mutant, apdu.Command) []byte {
	return func(m *mutant, c apdu.Command) []byte { return f(m, c, m.pass(c)) }
}

// keepsStatus is a card that re-verifies a key the moment it selects the
// key's application again, when keep says, from the keys verified until
// then, that it kept the key's status.
func keepsStatus(keep func(m *mutant, before map[emulator.FileRef]emulator.Secret, ref emulator.FileRef) (emulator.Secret, bool)) func(*mutant, apdu.Command) []byte {
	return func(m *mutant, c apdu.Command) []byte {
		before := maps.Clone(m.session)
		resp := m.pass(c)
		if c.INS != 0xA4 || c.P1 != 0x04 || sw(resp) != apdu.SWOK {
			return resp
		}
		for _, k := range keyTable {
			if v, ok := keep(m, before, k.ref); ok && k.ref.App() == m.app {
				m.replay(k.ref, v)
			}
		}
		return resp
	}
}

// chargesTwin is a card that keeps retry counters by FID alone: a wrong
// value for one key also costs a try on the key with the same FID in the
// other application (text and visual 0011, juki and common 001C).
func chargesTwin(twin map[emulator.FileRef]emulator.FileRef) func(*mutant, apdu.Command) []byte {
	return func(m *mutant, c apdu.Command) []byte {
		resp := m.pass(c)
		if c.INS != 0x20 || len(c.Data) == 0 {
			return resp
		}
		if _, miss := sw(resp).Retries(); !miss {
			return resp
		}
		other, ok := twin[m.keyOf(c)]
		if !ok {
			return resp
		}
		app, ef := m.app, m.ef
		wrong := bytes.Clone(m.prof.Secrets[other])
		wrong[len(wrong)-1] ^= 1
		m.pass(apdu.SelectAID(other.App().AID()))
		m.pass(apdu.SelectEF(other.FID()))
		m.pass(apdu.Verify(apdu.CurrentEF, wrong))
		m.pass(apdu.SelectAID(app.AID()))
		m.pass(apdu.SelectEF(ef))
		return resp
	}
}

// countsTo is a card whose key ref starts at, and resets to, limit
// instead of the limit of card.md §7.1. The mutant keeps that counter and
// puts the card's own back to full after each miss.
func countsTo(ref emulator.FileRef, limit int) (func(*mutant, apdu.Command) []byte, func(*mutant)) {
	fresh := func(m *mutant) { m.left = limit }
	return func(m *mutant, c apdu.Command) []byte {
		if c.INS != 0x20 || m.keyOf(c) != ref || c.CLA != 0 {
			return m.pass(c)
		}
		switch {
		case len(c.Data) == 0:
			return apdu.Response{SW: apdu.RetriesLeft(m.left)}.Bytes()
		case m.left <= 0:
			return apdu.Response{SW: apdu.SWAuthBlocked}.Bytes()
		}
		resp := m.pass(c)
		if sw(resp) == apdu.SWOK {
			m.left = limit
			return resp
		}
		m.left--
		app, ef := m.app, m.ef
		if err := m.Embedded.Issue(func(s *emulator.State) error { s.PINs[ref].Remaining = s.PINs[ref].Max; return nil }); err != nil {
			panic(err)
		}
		m.pass(apdu.SelectAID(app.AID()))
		m.pass(apdu.SelectEF(ef))
		return apdu.Response{SW: apdu.RetriesLeft(m.left)}.Bytes()
	}, fresh
}

// keepsBlocked is an issuer whose operations set new values but leave a
// blocked counter of ref at 0.
func keepsBlocked(ref emulator.FileRef) func(*mutant, func(*emulator.State) error) error {
	return func(m *mutant, op func(*emulator.State) error) error {
		return m.Embedded.Issue(func(s *emulator.State) error {
			was := s.PINs[ref].Blocked()
			if err := op(s); err != nil {
				return err
			}
			if was {
				s.PINs[ref].Remaining = 0
			}
			return nil
		})
	}
}

// behaviour is one planted defect and the cases that must catch it.
type behaviour struct {
	name string
	kind emulator.Kind
	edit func(*emulator.State) // the card's state before it starts
	bug  func(*mutant, apdu.Command) []byte
	// reset, issue and fresh replace the mutant's; nil keeps them.
	reset    func(*mutant) error
	issue    func(*mutant, func(*emulator.State) error) error
	fresh    func(*mutant)
	mustFail []string
}

func (b behaviour) target(t testing.TB) *mutant {
	m := newMutant(t, b.kind, b.edit)
	m.bug, m.reset, m.issue, m.fresh = b.bug, b.reset, b.issue, b.fresh
	if m.fresh != nil {
		m.fresh(m)
	}
	return m
}

func behaviours() []behaviour {
	signLimit3, signFresh := countsTo(emulator.JPKISignPassword, 3)
	authLimit4, authFresh := countsTo(emulator.JPKIAuthPIN, 4)
	textLimit2, textFresh := countsTo(emulator.TextPIN, 2)
	return []behaviour{
		{
			name: "wrong VERIFY reports one try too many (63C3 for 63C2)", kind: emulator.KindNormal,
			bug: rewrite(func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if n, ok := sw(resp).Retries(); ok && c.INS == 0x20 && len(c.Data) > 0 {
					return apdu.Response{SW: apdu.RetriesLeft(n + 1)}.Bytes()
				}
				return resp
			}),
			mustFail: []string{"JPKI-PIN-102", "TEXT-PIN-102", "JPKI-PIN-104", "CARD-CNT-101"},
		},
		{
			name: "protected text EF served without a key", kind: emulator.KindNormal,
			bug: rewrite(func(m *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0xB0 && sw(resp) == apdu.SWSecurityNotSatisfied && m.ef == 0x0002 {
					return append(bytes.Repeat([]byte{0xFF}, min(c.Ne, 16)), 0x90, 0x00)
				}
				return resp
			}),
			mustFail: []string{"TEXT-ACC-001", "TEXT-ACC-003", "VIS-ACC-001", "INV-005", "TEXT-SEC-301"},
		},
		{
			name: "reset keeps the whole session", kind: emulator.KindNormal,
			reset:    func(*mutant) error { return nil },
			mustFail: []string{"JPKI-SEC-002", "CARD-MF-001", "JPKI-SEC-101", "TEXT-SEC-101", "VIS-SEC-101"},
		},
		{
			name: "blocked key answers 9000 to its right value", kind: emulator.KindFaceAuth,
			bug: rewrite(func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0x20 && len(c.Data) > 0 && sw(resp) == apdu.SWAuthBlocked {
					return apdu.Response{SW: apdu.SWOK}.Bytes()
				}
				return resp
			}),
			mustFail: []string{"INV-001", "FACE-AUTH-003"},
		},
		{
			name: "face-auth card reports a sign certificate in 0008", kind: emulator.KindFaceAuth,
			bug: rewrite(func(m *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0xB0 && m.ef == 0x0008 && len(resp) == 5 {
					resp[0] = 0x8F
				}
				return resp
			}),
			mustFail: []string{"FACE-AUTH-001", "JPKI-RD-006"},
		},
		{
			name: "signature bytes corrupted", kind: emulator.KindNormal,
			bug: rewrite(func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0x2A && len(resp) == 258 {
					resp[100] ^= 1
				}
				return resp
			}),
			mustFail: []string{"JPKI-SIG-001", "JPKI-SIG-005", "JPKI-SIG-007", "JPKI-SIG-008", "JPKI-SIG-010"},
		},
		{
			name: "READ BINARY past the end answers 9000 with no data", kind: emulator.KindNormal,
			bug: rewrite(func(_ *mutant, c apdu.Command, resp []byte) []byte {
				if c.INS == 0xB0 && sw(resp) == apdu.SWWrongOffset {
					return apdu.Response{SW: apdu.SWOK}.Bytes()
				}
				return resp
			}),
			mustFail: []string{"JPKI-RD-003"},
		},
		{
			name: "auth and sign keys swapped when the card was personalised", kind: emulator.KindNormal,
			edit: func(s *emulator.State) {
				s.Keys[emulator.JPKIAuthKey], s.Keys[emulator.JPKISignKey] = s.Keys[emulator.JPKISignKey], s.Keys[emulator.JPKIAuthKey]
			},
			mustFail: []string{"JPKI-SIG-001", "JPKI-SIG-005", "JPKI-SIG-008", "JPKI-SIG-009", "JPKI-SIG-010"},
		},
		{
			name: "signs with the key of the last PIN verified, not the key selected", kind: emulator.KindNormal,
			bug: func(m *mutant, c apdu.Command) []byte {
				if c.CLA == 0x80 && c.INS == 0x2A && c.P2 == 0x80 && m.app == emulator.AppJPKI {
					if k, ok := map[emulator.FileRef]uint16{emulator.JPKIAuthPIN: emulator.JPKIAuthKey.FID(), emulator.JPKISignPassword: emulator.JPKISignKey.FID()}[m.last]; ok && k != m.ef {
						ef := m.ef
						m.pass(apdu.SelectEF(k))
						defer m.pass(apdu.SelectEF(ef))
					}
				}
				return m.pass(c)
			},
			mustFail: []string{"JPKI-SIG-008", "JPKI-SIG-009"},
		},
		{
			name: "PSS signs with the auth key whatever key is named", kind: emulator.KindNormal,
			bug: func(m *mutant, c apdu.Command) []byte {
				if c.CLA == 0x80 && c.INS == 0x2A && c.P1 == 0x05 && m.app == emulator.AppJPKI {
					c.P2 = apdu.KeyRef(emulator.JPKIAuthKey.FID())
				}
				return m.pass(c)
			},
			mustFail: []string{"JPKI-SIG-008", "JPKI-SIG-009"},
		},
		{
			name: "a failed VERIFY leaves the key's earlier success standing", kind: emulator.KindNormal,
			bug: func(m *mutant, c apdu.Command) []byte {
				prev := maps.Clone(m.session)
				resp := m.pass(c)
				if c.INS == 0x20 && len(c.Data) > 0 {
					if v, ok := prev[m.keyOf(c)]; ok && sw(resp) != apdu.SWOK {
						m.replay(m.keyOf(c), v)
					}
				}
				return resp
			},
			mustFail: []string{"JPKI-SEC-102", "JPKI-SEC-202", "TEXT-SEC-102", "TEXT-SEC-202", "VIS-SEC-302"},
		},
		{
			name: "SELECT of an application keeps its keys verified", kind: emulator.KindNormal,
			bug: keepsStatus(func(m *mutant, before map[emulator.FileRef]emulator.Secret, ref emulator.FileRef) (emulator.Secret, bool) {
				maps.Copy(m.kept, before)
				v, ok := m.kept[ref]
				return v, ok
			}),
			reset:    func(m *mutant) error { clear(m.kept); return m.Embedded.Reset() },
			mustFail: []string{"JPKI-SEC-001", "JPKI-SEC-003", "JPKI-SEC-101", "TEXT-SEC-101", "VIS-SEC-201"},
		},
		{
			name: "reset keeps the keys verified (the application is deselected)", kind: emulator.KindNormal,
			bug: keepsStatus(func(m *mutant, _ map[emulator.FileRef]emulator.Secret, ref emulator.FileRef) (emulator.Secret, bool) {
				v, ok := m.held[ref]
				delete(m.held, ref)
				return v, ok
			}),
			mustFail: []string{"JPKI-SEC-002", "JPKI-SEC-101", "TEXT-SEC-101", "VIS-SEC-101"},
		},
		{
			name: "a right value resets every counter of its application", kind: emulator.KindNormal,
			bug: func(m *mutant, c apdu.Command) []byte {
				resp := m.pass(c)
				if c.INS == 0x20 && len(c.Data) > 0 && sw(resp) == apdu.SWOK {
					ref := m.keyOf(c)
					for _, k := range keyTable {
						if other := k.ref; other.App() == ref.App() && other != ref {
							m.replay(other, m.prof.Secrets[other])
						}
					}
				}
				return resp
			},
			mustFail: []string{"CARD-CNT-101", "CARD-CNT-102", "CARD-CNT-104"},
		},
		{
			name: "counters kept by FID: a miss also costs the same FID in the other AP", kind: emulator.KindNormal,
			bug: chargesTwin(map[emulator.FileRef]emulator.FileRef{
				emulator.TextPIN: emulator.VisualDOBKey, emulator.VisualDOBKey: emulator.TextPIN,
				emulator.JukiPIN: emulator.CommonPIN, emulator.CommonPIN: emulator.JukiPIN,
			}),
			mustFail: []string{"CARD-CNT-103", "CARD-CNT-106", "CARD-CNT-109", "CARD-CNT-110"},
		},
		{
			name: "sign password starts at 3 tries, not 5", kind: emulator.KindNormal,
			bug: signLimit3, fresh: signFresh,
			mustFail: []string{"CARD-LIM-002", "JPKI-PIN-202"},
		},
		{
			name: "auth PIN limit off by one (4)", kind: emulator.KindNormal,
			bug: authLimit4, fresh: authFresh,
			mustFail: []string{"CARD-LIM-001", "CARD-LIM-002", "JPKI-PIN-102"},
		},
		{
			name: "text PIN limit off by one (2)", kind: emulator.KindNormal,
			bug: textLimit2, fresh: textFresh,
			mustFail: []string{"CARD-LIM-002", "TEXT-PIN-104"},
		},
		{
			name: "municipal unblock sets the new PIN but leaves its counter at 0", kind: emulator.KindNormal,
			issue:    keepsBlocked(emulator.JPKIAuthPIN),
			mustFail: []string{"ISSUER-002"},
		},
		{
			name: "face-auth reversal leaves the common PIN blocked", kind: emulator.KindFaceAuth,
			issue:    keepsBlocked(emulator.CommonPIN),
			mustFail: []string{"INV-003"},
		},
	}
}

// TestMutantsAreCaught runs the catalogue on every planted defect and
// checks that the cases named for it fail.
func TestMutantsAreCaught(t *testing.T) {
	for _, b := range behaviours() {
		t.Run(b.name, func(t *testing.T) {
			m := b.target(t)
			rep, err := Run(m, m.prof, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range b.mustFail {
				if r := resultOf(t, rep, id); r.Status != Fail {
					t.Errorf("%s: %s %s, want fail", id, r.Status, r.Reason)
				}
			}
		})
	}
}

func behaviourNamed(t testing.TB, name string) behaviour {
	t.Helper()
	i := slices.IndexFunc(behaviours(), func(b behaviour) bool { return b.name == name })
	if i < 0 {
		t.Fatalf("no mutant named %q", name)
	}
	return behaviours()[i]
}
