package conformance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// TestSuitePassesOnEveryKind runs the whole catalogue, destructive cases
// included, on the embedded emulator of every preset kind.
func TestSuitePassesOnEveryKind(t *testing.T) {
	for _, kind := range emulator.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			tgt, err := EmbeddedKind(kind)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Run(tgt, tgt.Profile(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.DetectedKind != kind {
				t.Errorf("detected kind %q, want %q", rep.DetectedKind, kind)
			}
			pass, fail, skip := rep.Counts()
			t.Logf("%s: %d passed, %d failed, %d skipped", kind, pass, fail, skip)
			if pass < 60 {
				t.Errorf("only %d cases passed", pass)
			}
			for _, r := range rep.Results {
				if r.Status == Fail {
					t.Errorf("%s %s:\n%s", r.ID, r.Title, formatFailure(r, false))
				}
			}
		})
	}
}

// TestSuiteContactless runs the whole catalogue on every contactless chip
// and on a contact one: the contactless cases pass there and skip here,
// except CL-UID-005, which goes the other way.
func TestSuiteContactless(t *testing.T) {
	for _, c := range profile.Chips() {
		t.Run(string(c.Name), func(t *testing.T) {
			tgt := chipTarget(t, c.Name)
			rep, err := Run(tgt, tgt.Profile(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			ran := map[string]Status{}
			for _, r := range rep.Results {
				if r.Status == Fail {
					t.Errorf("%s %s:\n%s", r.ID, r.Title, formatFailure(r, false))
				}
				if strings.HasPrefix(r.ID, "CL-") {
					ran[r.ID] = r.Status
				}
			}
			want := map[string]Status{"CL-ATR-001": Pass, "CL-UID-001": Pass, "CL-UID-002": Pass, "CL-UID-003": Pass, "CL-UID-004": Pass, "CL-UID-005": Skip}
			if c.Interface == profile.Contact {
				for id := range want {
					want[id] = Skip
				}
				want["CL-UID-005"] = Pass
			}
			if d := cmp.Diff(want, ran); d != "" {
				t.Errorf("contactless cases (-want +got):\n%s", d)
			}
		})
	}
}

// chipTarget is an embedded normal card of chip c, named embedded:CHIP.
func chipTarget(t *testing.T, c profile.Chip) *Embedded {
	t.Helper()
	st, err := profile.DefaultWithChip(emulator.KindNormal, c)
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := NewEmbedded("embedded:"+string(c), st)
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}
