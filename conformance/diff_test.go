package conformance

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

func TestDiff(t *testing.T) {
	run := func(tgt Target, prof Profile) *Report {
		rep, err := Run(tgt, prof, Options{Only: []string{"JPKI-PIN-1", "CARD-CHAL"}})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	a, err := EmbeddedKind(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EmbeddedKind(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := run(a, a.Profile()), run(b, b.Profile())
	if same := Diff(ra, rb); len(same) != 0 {
		t.Errorf("two equal cards differ (GET CHALLENGE is random by design and not compared): %+v", same)
	}
	// A case skipped on one side is not compared: it says nothing of the card.
	skipped := *rb
	skipped.Results = slices.Clone(rb.Results)
	skipped.Results[0].Status, skipped.Results[0].Reason = Skip, "not given"
	if d := Diff(ra, &skipped); len(d) != 0 {
		t.Errorf("a case skipped on one side gave differences: %+v", d)
	}
	var out strings.Builder
	if err := WriteDiff(&out, ra, &skipped, []Difference{{ID: "X", Kind: DiffSW, Step: 2, A: "9000", B: "6982"}, {ID: "Y", Kind: DiffOutcome, A: "pass", B: "fail"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"step 2", "outcome", "2 differences", "1 case ran on one target only and was not compared"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("WriteDiff output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "step -1") || strings.Contains(out.String(), "step 0") {
		t.Errorf("WriteDiff shows a step for an outcome:\n%s", out.String())
	}

	off := behaviourNamed(t, "wrong VERIFY reports one try too many (63C3 for 63C2)").target(t)
	diffs := Diff(run(a, a.Profile()), run(off, b.Profile()))
	var kinds []string
	for _, d := range diffs {
		if d.ID == "JPKI-PIN-102" {
			kinds = append(kinds, string(d.Kind))
		}
	}
	if got := strings.Join(kinds, ","); !strings.Contains(got, "outcome") || !strings.Contains(got, "sw") {
		t.Errorf("JPKI-PIN-102 differences %q, want an outcome and a status word difference", got)
	}
}

// A persona file (mynacard profile persona) is a pins file too: its
// 照合番号B and birth-date key follow from the holder's dates.
func TestParseProfilePersona(t *testing.T) {
	b, err := json.Marshal(profile.DefaultPersona())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseProfile(b)
	if err != nil {
		t.Fatal(err)
	}
	e, err := EmbeddedKind(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	want := e.Profile().Secrets
	delete(want, emulator.TextBlockedKey) // blocked from issuance, no holder's secret
	if d := cmp.Diff(want, got.Secrets); d != "" {
		t.Errorf("secrets from the persona (-card +persona):\n%s", d)
	}
}

func TestParseProfile(t *testing.T) {
	p, err := ParseProfile([]byte(`{"kind":"face-auth","auth_pin":"1234","my_number":"123456789018","collation_b":"55021720352285","collation_tries":10}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != emulator.KindFaceAuth || string(p.Secrets[emulator.VisualPINA]) != "123456789018" || string(p.Secrets[emulator.TextPINB]) != "55021720352285" {
		t.Errorf("profile %+v", p)
	}
	if p.Tries[emulator.JPKIAuthPIN] != 3 || p.Tries[emulator.VisualPINB] != 10 {
		t.Errorf("tries %v", p.Tries)
	}
	for _, bad := range []string{
		`{"auth_pin":"12345"}`, `{"sign_password":"abc123"}`, `{"kind":"plastic"}`,
		`{"pin":"1234"}`, `{"collation_tries":99}`, `not json`,
	} {
		_, err := ParseProfile([]byte(bad))
		if err == nil {
			t.Errorf("ParseProfile(%s) accepted", bad)
			continue
		}
		for _, secret := range []string{"12345", "abc123"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseProfile(%s) error repeats the secret: %v", bad, err)
			}
		}
	}
}
