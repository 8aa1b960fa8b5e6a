package conformance

import (
	"testing"

	"github.com/mynacard/mynacard/emulator"
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
