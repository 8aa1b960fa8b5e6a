//go:build linux

package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/conformance"
)

// TestConformanceProperties runs the property walk from the CLI: in
// process with a JSON report, through pcscd on a card that `run` serves
// (CMD is this binary as mynacard), and the usage errors that keep it
// read-only and explicit on a reader.
func TestConformanceProperties(t *testing.T) {
	code, out, errOut := runCLI(t, "conformance", "--properties", "--kind", "pin-blocked", "--steps", "200", "--seed", "9", "--json")
	var rep conformance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(rep.Results) != 1 || rep.Results[0].ID != conformance.PropertyCaseID || rep.Results[0].Status != conformance.Pass || !strings.Contains(rep.Results[0].Title, "seed 9") {
		t.Errorf("report %+v: want one passing %s naming seed 9", rep.Results, conformance.PropertyCaseID)
	}
	for _, args := range [][]string{
		{"--properties", "--target", "pcsc"},
		{"--properties", "--allow-spend"},
		{"--properties", "--steps", "0"},
		{"--seed", "3"},
	} {
		if code, _, errOut := runCLI(t, append([]string{"conformance"}, args...)...); code != 2 {
			t.Errorf("conformance %q: exit %d, want 2\n%s", args, code, errOut)
		}
	}

	needPrivatePCSCD(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runMyna(t, "run", "--kind", "face-auth", "--chip", "jpki-09", "--", "sh", "-c",
		`exec "$0" conformance --properties --target pcsc --reader "$MYNACARD_READER" --kind face-auth --steps 150 --seed 4`, exe)
	if code != 0 || !strings.Contains(out, "PASS  PROP-WALK") || !strings.Contains(out, "spent: nothing") {
		t.Errorf("walk through pcscd: exit %d\n%s%s", code, out, errOut)
	}
}
