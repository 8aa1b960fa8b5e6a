package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
)

func TestConformanceEmbeddedReports(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, out, errOut := runCLI(t, "conformance", "--target", "embedded", "--kind", "face-auth", "--run", "FACE,INV,JPKI-RD", "--json", "--junit", junit)
	// VIS-RD-003 is not selected, so the run passes.
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	var rep conformance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	if rep.Kind != "face-auth" || len(rep.Results) < 10 {
		t.Errorf("report kind %q with %d results", rep.Kind, len(rep.Results))
	}
	if s := rep.Summary; s == nil || s.Cases != len(rep.Results) || s.Passed+s.Failed+s.Skipped != s.Cases || s.Passed == 0 {
		t.Errorf("report summary %+v for %d results", s, len(rep.Results))
	}
	if !strings.HasPrefix(rep.Tool, "mynacard ") {
		t.Errorf("report tool %q, want the version", rep.Tool)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	// --junit - writes the same XML to stdout.
	code, stdout, errOut := runCLI(t, "conformance", "--target", "embedded", "--kind", "face-auth", "--run", "FACE,INV,JPKI-RD", "--junit", "-")
	if code != 0 || !strings.HasPrefix(stdout, "<?xml") || strings.Count(stdout, "<testcase") != strings.Count(string(b), "<testcase") {
		t.Errorf("--junit -: exit %d, stderr %q, stdout:\n%s", code, errOut, stdout)
	}
	var suite struct {
		Tests int `xml:"tests,attr"`
		Cases []struct {
			Name string `xml:"name,attr"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal(b, &suite); err != nil {
		t.Fatalf("--junit file: %v", err)
	}
	if suite.Tests != len(rep.Results) || len(suite.Cases) != suite.Tests {
		t.Errorf("junit has %d tests, %d cases; JSON %d results", suite.Tests, len(suite.Cases), len(rep.Results))
	}
}

func TestConformanceFailureExitsOne(t *testing.T) {
	// A card file whose text PIN counter has been tampered with to 2 while
	// its kind says normal: no case fails on that, so make a real defect:
	// the card file claims face-auth but is a normal card.
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", func(s *emulator.State) {
		s.Kind = emulator.KindFaceAuth
	})
	code, out, _ := runCLI(t, "conformance", "--card", path, "--run", "CARD-KIND,FACE-AUTH-001")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL CARD-KIND-001") || !strings.Contains(out, "-want +got") {
		t.Errorf("table lacks the failure with its diff:\n%s", out)
	}
}

// A diff compares the cases that ran on both sides: a card whose auth PIN
// has a try fewer answers the empty VERIFY differently, and that is all.
func TestConformanceDiffEmbedded(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", func(s *emulator.State) {
		s.PINs[emulator.JPKIAuthPIN].Remaining = 2
	})
	code, out, errOut := runCLI(t, "conformance", "--card", path, "--diff-target", "embedded:normal", "--run", "JPKI-PIN-101,CARD-CHAL")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (63C2 against 63C3): %s", code, errOut)
	}
	for _, want := range []string{"differences between A = embedded:" + path + " and B = embedded:normal", "JPKI-PIN-101  sw  step 4", "2 differences in 2 cases run on both targets"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
}

func TestConformanceList(t *testing.T) {
	code, out, _ := runCLI(t, "conformance", "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, id := range []string{"JPKI-SIG-001", "TEXT-ACC-003", "FACE-AUTH-002", "INV-003", "COMMON-REC-001", "JUKI-PIN-101"} {
		if !strings.Contains(out, id) {
			t.Errorf("--list lacks %s", id)
		}
	}
}

// --allow-unrecoverable warns before anything reaches a real card. (A
// child process: libpcsclite fixes its socket at a process's first call.)
func TestConformanceUnrecoverableWarns(t *testing.T) {
	code, _, stderr := runMyna(t, "conformance", "--target", "pcsc", "--reader", "No Such Reader", "--allow-destructive", "--allow-unrecoverable")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || len(lines) != 2 || !strings.Contains(lines[0], "warning: --allow-unrecoverable blocks 照合番号A and B and the birth-date key") || !strings.Contains(lines[1], "PC/SC") {
		t.Errorf("exit %d, stderr %q; want exit 1, the warning, then the PC/SC error", code, stderr)
	}
}
