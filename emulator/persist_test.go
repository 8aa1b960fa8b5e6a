package emulator

import (
	"errors"
	"testing"

	"github.com/mynacard/mynacard/apdu"
)

// recordingStore keeps every saved state and can be told to fail.
type recordingStore struct {
	saved []*State
	fail  bool
}

func (r *recordingStore) Save(s *State) error {
	if r.fail {
		return errors.New("disk full")
	}
	r.saved = append(r.saved, s.Clone())
	return nil
}

func TestCounterSavedBeforeCompare(t *testing.T) {
	st := &recordingStore{}
	s := NewTestState(t)
	c, err := New(s, WithStore(st))
	if err != nil {
		t.Fatal(err)
	}
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	mustSW(t, c.Transmit(h("00 20 00 98 04 30303030")), apdu.RetriesLeft(2))
	if len(st.saved) != 1 || st.saved[0].PINs[JPKIAuthPIN].Remaining != 2 {
		t.Fatalf("after a wrong PIN the store holds %d saves, want one with remaining 2", len(st.saved))
	}
	mustSW(t, c.Transmit(h("00 20 00 98 04 31323334")), apdu.SWOK)
	if n := len(st.saved); n != 3 || st.saved[1].PINs[JPKIAuthPIN].Remaining != 1 || st.saved[2].PINs[JPKIAuthPIN].Remaining != 3 {
		t.Fatalf("a right PIN must be charged (1) then reset (3); saves: %d", n)
	}
	// Queries and reads do not write.
	mustSW(t, c.Transmit(h("00 20 00 98")), apdu.RetriesLeft(3))
	if len(st.saved) != 3 {
		t.Error("a retry query saved the state")
	}

	// When the counter cannot be saved the PIN is not compared: even the
	// right one does not verify. Nor is the try spent, since nothing was
	// compared: more attempts than the limit, right or wrong, block nothing.
	st.fail = true
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	for range 2 {
		mustSW(t, c.Transmit(h("00 20 00 98 04 31323334")), apdu.SWMemoryFailure)
		mustSW(t, c.Transmit(h("00 20 00 98 04 30303030")), apdu.SWMemoryFailure)
	}
	mustSW(t, c.Transmit(h("00 20 00 98")), apdu.RetriesLeft(3))
	mustSW(t, c.Transmit(h(selEF(0x0017))), apdu.SWOK)
	mustSW(t, c.Transmit(h("80 2A 00 80 01 00 00")), apdu.SWSecurityNotSatisfied)
	if got := c.Snapshot().PINs[JPKIAuthPIN].Remaining; got != 3 {
		t.Errorf("remaining %d after unsaved attempts, want 3 (as before them)", got)
	}
	if err := c.Issue(func(s *State) error { return s.Unblock(JPKIAuthPIN, Secret("1234")) }); err == nil {
		t.Error("Issue succeeded although the store failed")
	}
	// Once saves work again the right PIN verifies and nothing spent
	// during the failure is written out.
	st.fail = false
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	mustSW(t, c.Transmit(h("00 20 00 98 04 31323334")), apdu.SWOK)
	if last := st.saved[len(st.saved)-1].PINs[JPKIAuthPIN].Remaining; last != 3 {
		t.Errorf("saved remaining %d after recovery, want 3", last)
	}
}
