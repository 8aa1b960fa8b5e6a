package emulator_test

import (
	"testing"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
)

// TestConformance runs the whole conformance catalogue, destructive cases
// included, on an emulated card of every preset kind. It lives here, in
// an external test package, so that `go test ./emulator` — what mutation
// testing runs for each mutant of this package — judges the card with the
// suite a vendor runs, not only with the package's own tests.
func TestConformance(t *testing.T) {
	for _, kind := range emulator.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			tgt, err := conformance.EmbeddedKind(kind)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := conformance.Run(tgt, tgt.Profile(), conformance.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if pass, _, _ := rep.Counts(); pass == 0 {
				t.Fatal("no case passed")
			}
			for _, r := range rep.Results {
				if r.Status == conformance.Fail {
					t.Errorf("%s %s: %v", r.ID, r.Title, r.Failures)
				}
			}
		})
	}
}
