package conformance

import (
	"fmt"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// guard is a key reference with something it opens (card.md §4, §7.1):
// an EF to read, or for the JPKI PINs a key to sign with, and a free EF of
// the same application to switch to.
type guard struct {
	key   emulator.FileRef
	id    string // ID prefix, e.g. "JPKI-SEC-1"
	name  string
	opens uint16
	sign  bool
	free  uint16
	kinds []emulator.Kind
}

var guards = []guard{
	{emulator.JPKIAuthPIN, "JPKI-SEC-1", "auth PIN", emulator.JPKIAuthKey.FID(), true, emulator.JPKIAuthCert.FID(), nil},
	{emulator.JPKISignPassword, "JPKI-SEC-2", "sign password", emulator.JPKISignKey.FID(), true, emulator.JPKIAuthCert.FID(), signCertKinds},
	{emulator.TextPIN, "TEXT-SEC-1", "text PIN", emulator.TextMyNumber.FID(), false, emulator.TextCVCert.FID(), nil},
	{emulator.TextPINA, "TEXT-SEC-2", "text 照合番号A", emulator.TextMyNumber.FID(), false, emulator.TextCVCert.FID(), nil},
	{emulator.TextPINB, "TEXT-SEC-3", "text 照合番号B", emulator.TextAttributes.FID(), false, emulator.TextCVCert.FID(), nil},
	{emulator.VisualDOBKey, "VIS-SEC-1", "visual birth-date key", emulator.VisualAgeRecord.FID(), false, emulator.VisualCVCert.FID(), nil},
	{emulator.VisualPINB, "VIS-SEC-2", "visual 照合番号B", emulator.VisualCardFace.FID(), false, emulator.VisualCVCert.FID(), nil},
	{emulator.VisualPINA, "VIS-SEC-3", "visual 照合番号A", emulator.VisualMyNumber.FID(), false, emulator.VisualCVCert.FID(), nil},
}

// use is the command that needs what g guards, on the current EF.
func (g guard) use() apdu.Command {
	if g.sign {
		return apdu.ComputeSignature(0x00, digestInfo(testMessage))
	}
	return apdu.ReadBinary(0, 1)
}

// open reports whether what g guards is open now: the EF reads (90 00) or
// the key signs (90 00), against 69 82. It selects g.opens.
func (t *T) open(g guard) bool {
	if !g.sign {
		return t.readAllowed(g.opens)
	}
	t.SelectEF(g.opens)
	switch r := t.Send(g.use()); r.SW {
	case apdu.SWOK:
		return true
	case apdu.SWSecurityNotSatisfied:
		return false
	default:
		t.Fatalf("COMPUTE SIGNATURE with %s/%04X: got SW %v, want 9000 or 6982", t.app, g.opens, r.SW)
	}
	return false
}

// expectOpen fails the case unless what g guards is open as want says.
func (t *T) expectOpen(g guard, want bool, when string) {
	if got := t.open(g); got != want {
		t.Errorf("%s/%04X %s: open %v, want %v", g.key.App(), g.opens, when, got, want)
	}
}

// otherApp is an application to switch to and back from.
func otherApp(a emulator.App) emulator.App {
	if a == emulator.AppJPKI {
		return emulator.AppText
	}
	return emulator.AppJPKI
}

func statusCases() []Case {
	var cs []Case
	for _, g := range guards {
		needs := []emulator.FileRef{g.key}
		cs = append(cs,
			Case{ID: g.id + "01", Title: fmt.Sprintf("the %s opens %04X; it stays open across SELECT of other EFs, and closes on SELECT of another AP and on reset", g.name, g.opens), Spec: "§7.2",
				Kinds: g.kinds, Needs: needs,
				Run: func(t *T) {
					t.SelectAP(g.key.App())
					t.expectOpen(g, false, "before VERIFY")
					t.Unlock(g.key)
					t.expectOpen(g, true, "after VERIFY")
					t.SelectEF(g.free)
					t.SelectEF(g.key.FID())
					t.expectOpen(g, true, "after SELECT of other EFs")
					t.SelectAP(otherApp(g.key.App()))
					t.SelectAP(g.key.App())
					t.expectOpen(g, false, "after SELECT of another AP and back")
					t.Unlock(g.key)
					t.SelectEF(g.opens)
					t.Reset()
					if r := t.Send(g.use()); r.SW == apdu.SWOK {
						t.Errorf("%s/%04X right after reset, without SELECT: got SW %v, want an error", g.key.App(), g.opens, r.SW)
					}
					t.SelectAP(g.key.App())
					t.expectOpen(g, false, "after reset")
				}},
			Case{ID: g.id + "02", Title: fmt.Sprintf("a failed VERIFY of the %s revokes its earlier success: %04X closes until the right value again", g.name, g.opens), Spec: "§7.2",
				Class: SpendsTry, Kinds: g.kinds, Needs: needs,
				Run: func(t *T) {
					t.SelectAP(g.key.App())
					t.Unlock(g.key)
					t.expectOpen(g, true, "after VERIFY")
					t.Equal("VERIFY with a wrong value", apdu.RetriesLeft(t.limit(g.key)-1), t.Verify(g.key, t.Wrong(g.key)))
					t.expectOpen(g, false, "after a failed VERIFY")
					t.Unlock(g.key)
					t.expectOpen(g, true, "after the right value again")
				}},
		)
	}
	return cs
}
