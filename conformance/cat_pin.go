package conformance

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

func jukiCommonCases() []Case {
	return []Case{
		{ID: "JUKI-SEL-001", Title: "SELECT of the 住基 AP and of its EFs 0002 and 001C answers 9000", Spec: "§3, §4.4",
			Run: func(t *T) {
				t.SelectAP(emulator.AppJuki)
				t.Check("SELECT 0002", apdu.SelectEF(0x0002), apdu.SWOK)
				t.Check("SELECT 001C", apdu.SelectEF(emulator.JukiPIN.FID()), apdu.SWOK)
			}},
		{ID: "COMMON-SEL-001", Title: "SELECT of the common AP and of its EFs 0001, 0002, 0019, 001C answers 9000", Spec: "§3, §4.5",
			Run: func(t *T) {
				t.SelectAP(emulator.AppCommon)
				for _, fid := range []uint16{0x0001, 0x0002, 0x0019, 0x001C} {
					t.Check("SELECT", apdu.SelectEF(fid), apdu.SWOK)
				}
			}},
		{ID: "COMMON-REC-001", Title: "READ RECORD 1 of SFI 1 (00 B2 01 0C) is 01 1C + serial(15) + municipality(5) + expiry YYYYMMDD", Spec: "§4.5, §5",
			Run: func(t *T) {
				t.SelectAP(emulator.AppCommon)
				r := t.Expect("READ RECORD 1, SFI 1", apdu.ReadRecord(1, 1, apdu.MaxShortNe), apdu.SWOK)
				if len(r.Data) != 30 || r.Data[0] != 0x01 || r.Data[1] != 0x1C || !digits(r.Data[2:], 28) {
					t.Fatalf("record 1 = % X, want 01 1C and 28 ASCII digits", r.Data)
				}
				t.dateObject("record 1 expiry", r.Data[22:30])
			}},
		{ID: "COMMON-REC-002", Title: "READ RECORD of the current EF (P2=04) gives the same record; record 2 is not found (6A83)", Spec: "§4.5, §5, §8",
			Run: func(t *T) {
				t.SelectAP(emulator.AppCommon)
				bySFI := t.Expect("READ RECORD 1, SFI 1", apdu.ReadRecord(1, 1, apdu.MaxShortNe), apdu.SWOK).Data
				t.SelectEF(emulator.CommonSerial.FID())
				cur := t.Expect("READ RECORD 1, current EF", apdu.ReadRecord(1, 0, apdu.MaxShortNe), apdu.SWOK).Data
				t.Equal("record 1 by SFI vs current EF", bySFI, cur)
				t.Check("READ RECORD 2", apdu.ReadRecord(2, 0, apdu.MaxShortNe), apdu.SWRecordNotFound)
			}},
		{ID: "COMMON-IA-001", Title: "INTERNAL AUTHENTICATE with common 0019 needs no credential and is deterministic (256 bytes)", Spec: "§4.5, §5",
			Run: func(t *T) {
				t.SelectAP(emulator.AppCommon)
				ia := apdu.InternalAuthenticate(apdu.KeyRef(emulator.CommonIAKey.FID()), bytes.Repeat([]byte{0x5A}, 16))
				a := t.Expect("INTERNAL AUTHENTICATE", ia, apdu.SWOK).Data
				b := t.Expect("INTERNAL AUTHENTICATE again", ia, apdu.SWOK).Data
				t.Equal("signature length", 256, len(a))
				t.Equal("second answer", a, b)
			}},
	}
}

// keyInfo describes one key reference for the generated PIN cases.
type keyInfo struct {
	ref  emulator.FileRef
	area string // ID prefix
	n    int    // hundreds digit of the case numbers
	name string
	// change builds the holder's change command for this key (card.md §5),
	// or is nil when the holder cannot change it.
	change func(p2 byte, newValue []byte) apdu.Command
}

var keyTable = []keyInfo{
	{emulator.JPKIAuthPIN, "JPKI", 1, "auth PIN", apdu.ChangeReferenceData},
	{emulator.JPKISignPassword, "JPKI", 2, "sign password", apdu.ChangeReferenceData},
	{emulator.TextPIN, "TEXT", 1, "text PIN", apdu.ChangeReferenceData},
	{emulator.TextPINA, "TEXT", 2, "text 照合番号A", nil},
	{emulator.TextPINB, "TEXT", 3, "text 照合番号B", nil},
	{emulator.VisualDOBKey, "VIS", 1, "visual birth-date key", nil},
	{emulator.VisualPINB, "VIS", 2, "visual 照合番号B", nil},
	{emulator.VisualPINA, "VIS", 3, "visual 照合番号A", nil},
	{emulator.JukiPIN, "JUKI", 1, "住基 PIN", apdu.ChangeKey},
	{emulator.CommonPIN, "COMMON", 1, "common PIN", apdu.ChangeKey},
}

// fullCounter re-selects ref's application (ending any verified state) and
// reads the counter.
func (t *T) fullCounter(ref emulator.FileRef) int {
	t.SelectAP(ref.App())
	left, _ := t.Query(ref)
	return left
}

func pinCases() []Case {
	var cs []Case
	for _, k := range keyTable {
		id := func(check int) string { return fmt.Sprintf("%s-PIN-%d%02d", k.area, k.n, check) }
		needs := []emulator.FileRef{k.ref}
		spec := "§5, §7.1, §7.2"
		cs = append(cs,
			Case{ID: id(1), Title: "empty VERIFY of the " + k.name + " answers 63Cx twice without spending a try", Spec: "§5, §6.4",
				Run: func(t *T) {
					a, _ := t.Query(k.ref)
					b, _ := t.Query(k.ref)
					t.Equal("tries left on the second query", a, b)
				}},
			Case{ID: id(2), Title: "a wrong " + k.name + " answers 63Cx with one try fewer, which survives a reset", Spec: spec,
				Class: SpendsTry, Needs: needs,
				Run: func(t *T) {
					t.SelectAP(k.ref.App())
					t.Unlock(k.ref)
					max := t.limit(k.ref)
					t.Equal("tries left after the right value", max, t.fullCounter(k.ref))
					t.Equal("VERIFY with a wrong value", apdu.RetriesLeft(max-1), t.Verify(k.ref, t.Wrong(k.ref)))
					t.Reset()
					t.Equal("tries left after reset", max-1, t.fullCounter(k.ref))
					t.Unlock(k.ref)
				}},
			Case{ID: id(3), Title: "the right " + k.name + " after a wrong one answers 9000 and resets the counter", Spec: spec,
				Class: SpendsTry, Needs: needs,
				Run: func(t *T) {
					t.SelectAP(k.ref.App())
					t.Unlock(k.ref)
					max := t.limit(k.ref)
					t.Verify(k.ref, t.Wrong(k.ref))
					t.Unlock(k.ref)
					t.Equal("tries left after the right value", max, t.fullCounter(k.ref))
				}},
			Case{ID: id(4), Title: "exhausting the " + k.name + ": 63Cx down to 63C0, then 6984 even for the right value, blocked after reset", Spec: spec,
				Class: Destructive, Needs: needs, Exhausts: needs,
				Run: func(t *T) {
					t.SelectAP(k.ref.App())
					t.Unlock(k.ref)
					left := t.limit(k.ref)
					for ; left > 0; left-- {
						if sw := t.Verify(k.ref, t.Wrong(k.ref)); sw != apdu.RetriesLeft(left-1) {
							t.Fatalf("wrong value with %d tries left: got SW %v, want %v", left, sw, apdu.RetriesLeft(left-1))
						}
					}
					t.Equal("VERIFY with the right value once blocked", apdu.SWAuthBlocked, t.Verify(k.ref, t.Secret(k.ref)))
					t.Reset()
					t.SelectAP(k.ref.App())
					t.Open(k.ref)
					t.Check("empty VERIFY once blocked", apdu.VerifyQuery(apdu.CurrentEF), apdu.RetriesLeft(0), apdu.SWAuthBlocked)
				}},
		)
		if k.change == nil {
			continue
		}
		cs = append(cs, Case{ID: id(5), Title: "changing the " + k.name + " needs it verified first, refuses a malformed value, and the new value then verifies", Spec: "§5, §13.4",
			Class: Destructive, Needs: needs,
			Run: func(t *T) {
				to := func(v []byte) apdu.Command { return k.change(apdu.CurrentEF, v) }
				t.SelectAP(k.ref.App())
				t.SelectEF(k.ref.FID())
				t.Equal("change before VERIFY", apdu.SWSecurityNotSatisfied, t.Change(to(t.Wrong(k.ref))))
				t.Unlock(k.ref)
				if sw := t.Change(to([]byte("12A"))); sw == apdu.SWOK {
					t.Errorf("change to a malformed value: got SW %v, want an error", sw)
				}
				if sw := t.Change(to(t.Wrong(k.ref))); sw != apdu.SWOK {
					t.Fatalf("change to a new value: got SW %v, want %v", sw, apdu.SWOK)
				}
				t.SelectAP(k.ref.App())
				t.Equal("VERIFY with the new value", apdu.SWOK, t.Verify(k.ref, t.Wrong(k.ref)))
				t.Equal("change back", apdu.SWOK, t.Change(to(t.Secret(k.ref))))
				t.SelectAP(k.ref.App())
				t.Unlock(k.ref)
			}})
	}
	return cs
}

// accessRule says which protected EFs of an application one key opens
// (card.md §4.2, §4.3, §7.1).
type accessRule struct {
	id    string
	key   emulator.FileRef
	opens []uint16
}

var protectedEFs = map[emulator.App][]uint16{
	emulator.AppText:   {0x0001, 0x0002, 0x0003, 0x0006, 0x0007},
	emulator.AppVisual: {0x0001, 0x0002, 0x0005},
}

var accessRules = []accessRule{
	{"TEXT-ACC-002", emulator.TextPIN, []uint16{0x0001, 0x0002, 0x0003, 0x0006, 0x0007}},
	{"TEXT-ACC-003", emulator.TextPINA, []uint16{0x0001, 0x0003, 0x0006, 0x0007}},
	{"TEXT-ACC-004", emulator.TextPINB, []uint16{0x0002, 0x0003, 0x0006, 0x0007}},
	{"VIS-ACC-002", emulator.VisualDOBKey, []uint16{0x0001}},
	{"VIS-ACC-003", emulator.VisualPINA, []uint16{0x0002, 0x0005}},
	{"VIS-ACC-004", emulator.VisualPINB, []uint16{0x0002}},
}

func accessCases() []Case {
	cs := []Case{
		{ID: "JPKI-ACC-001", Title: "the auth PIN does not open the sign certificate 0001 (6982)", Spec: "§4.1, §7.2",
			Kinds: signCertKinds, Needs: []emulator.FileRef{emulator.JPKIAuthPIN},
			Run: func(t *T) {
				t.SelectAP(emulator.AppJPKI)
				t.Unlock(emulator.JPKIAuthPIN)
				if t.readAllowed(emulator.JPKISignCert.FID()) {
					t.Errorf("JPKI 0001 readable after the auth PIN")
				}
			}},
	}
	for _, app := range []emulator.App{emulator.AppText, emulator.AppVisual} {
		prefix := map[emulator.App]string{emulator.AppText: "TEXT", emulator.AppVisual: "VIS"}[app]
		cs = append(cs, Case{ID: prefix + "-ACC-001", Title: fmt.Sprintf("without a key every protected EF of the %s AP answers 6982 to READ BINARY", app), Spec: "§4.2, §4.3, §8",
			Run: func(t *T) {
				t.SelectAP(app)
				for _, fid := range protectedEFs[app] {
					if t.readAllowed(fid) {
						t.Errorf("%s/%04X readable without a key", app, fid)
					}
				}
			}})
	}
	for _, r := range accessRules {
		cs = append(cs, Case{ID: r.id, Title: fmt.Sprintf("after %v exactly %s of the %s AP read (the others 6982)", r.key, fidList(r.opens), r.key.App()), Spec: "§4.2, §4.3, §7.1",
			Needs: []emulator.FileRef{r.key},
			Run: func(t *T) {
				t.SelectAP(r.key.App())
				t.Unlock(r.key)
				for _, fid := range protectedEFs[r.key.App()] {
					if got, want := t.readAllowed(fid), slices.Contains(r.opens, fid); got != want {
						t.Errorf("%s/%04X after %v: readable %v, want %v", r.key.App(), fid, r.key, got, want)
					}
				}
			}})
	}
	return cs
}

func fidList(fids []uint16) string {
	var b bytes.Buffer
	for i, f := range fids {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%04X", f)
	}
	return b.String()
}
