package emulator

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/apdu"
)

// Whatever APDUs and issuer operations did since, Restore gives back the
// card of the checkpoint, in a fresh session.
func TestRestoreCheckpoint(t *testing.T) {
	c, _ := newTestCard(t)
	want := c.Snapshot()
	cp := c.Checkpoint()
	for range 2 { // the checkpoint serves more than one Restore
		for _, cmd := range []string{selJPKI, selEF(0x0018), verifyCmd(Secret("0000")), verifyCmd(testAuthPIN), "00 24 01 80 04 39383736"} {
			c.Transmit(h(cmd))
		}
		if err := c.Issue(func(s *State) error { return s.ExhaustPIN(JPKISignPassword) }); err != nil {
			t.Fatal(err)
		}
		if cmp.Equal(c.Snapshot(), want) {
			t.Fatal("the commands changed nothing: the test proves nothing")
		}
		if err := c.Restore(cp); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, c.Snapshot()); d != "" {
			t.Errorf("state after Restore (-want +got):\n%s", d)
		}
		if c.Selected() != AppNone {
			t.Errorf("application %v selected after Restore", c.Selected())
		}
		mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
		mustSW(t, c.Transmit(h(selEF(0x0017))), apdu.SWOK)
		mustSW(t, c.Transmit(h("80 2A 00 80 01 00 00")), apdu.SWSecurityNotSatisfied)
	}
}
