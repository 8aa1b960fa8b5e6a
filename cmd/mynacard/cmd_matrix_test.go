//go:build linux

package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/internal/junit"
)

// matrixClient prints the cell it runs in, then what opensc-tool makes of
// the card: pin-blocked differs from normal only in its tries, so the
// cell name is what an output rule can tell apart.
var matrixClient = []string{"--", "sh", "-c", `echo "cell=$MYNACARD_CELL"; opensc-tool -n`}

func TestMatrixExpect(t *testing.T) {
	needPrivatePCSCD(t)
	for _, tt := range []struct {
		name, expect string
		want         int
		failed       []string // cells whose JUnit test case fails
	}{
		{"met", "* exit=0 output=/jpki/\npin-blocked@* output=/cell=pin-blocked@jpki-02/\n", 0, nil},
		{"mismatch", "* exit=0\npin-blocked@jpki-02 exit=nonzero\nnormal@* output=/^never printed$/\n", 1,
			[]string{"normal@jpki-02", "pin-blocked@jpki-02"}},
		{"rule matches no cell", "face-auth@* exit=0\n", 2, nil},
		{"bad rule", "* exit=maybe\n", 2, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			expect, report := filepath.Join(dir, "expect"), filepath.Join(dir, "junit.xml")
			if err := os.WriteFile(expect, []byte(tt.expect), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"matrix", "--kinds", "normal,pin-blocked", "--expect", expect, "--junit", report}, matrixClient...)
			code, stdout, stderr := runMyna(t, args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
			if code == 2 {
				if !strings.Contains(stderr, "--expect") || strings.Count(stderr, "\n") != 1 {
					t.Errorf("want one line naming --expect, got:\n%s", stderr)
				}
				return
			}
			if diff := cmp.Diff(tt.failed, junitFailures(t, report)); diff != "" {
				t.Errorf("failing test cases (-want +got):\n%s", diff)
			}
		})
	}
}

// junitFailures parses a JUnit report, checks it has one test case per
// cell, and returns the failing ones.
func junitFailures(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s junit.Suite
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("JUnit report is not valid XML: %v\n%s", err, b)
	}
	var names, failed []string
	for _, c := range s.Cases {
		names = append(names, c.Name)
		if c.Failure != nil {
			failed = append(failed, c.Name)
		}
	}
	if diff := cmp.Diff([]string{"normal@jpki-02", "pin-blocked@jpki-02"}, names); diff != "" || s.Tests != 2 || s.Failures != len(failed) {
		t.Errorf("suite: tests=%d failures=%d, cases (-want +got):\n%s", s.Tests, s.Failures, diff)
	}
	return failed
}

func TestMatrixPulledCardLeavesMidRun(t *testing.T) {
	needPrivatePCSCD(t)
	// After one answered APDU the card is gone: the second opensc-tool
	// finds no card, where the normal cell's finds it.
	script := `opensc-tool -n >/dev/null 2>&1; opensc-tool -n`
	code, stdout, stderr := runMyna(t, "matrix", "--kinds", "normal,pulled", "--pull-after", "1", "--json", "--", "sh", "-c", script)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var got struct{ Cells []cellResult }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	tails := map[string]string{}
	for _, c := range got.Cells {
		tails[c.Cell] = strings.Join(c.Tail, "\n")
	}
	if !strings.Contains(tails["normal@jpki-02"], "jpki") || strings.Contains(tails["pulled@jpki-02"], "jpki") {
		t.Errorf("want jpki in the normal cell only:\n%v", tails)
	}
}
