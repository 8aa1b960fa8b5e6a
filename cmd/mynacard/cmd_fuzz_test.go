package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFuzzCommandEmbedded(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "fuzz", "--kind", "face-auth", "--count", "200", "--seed", "5", "--out", out)
	if code != 0 && code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "200 sequences") || !strings.Contains(stdout, "embedded:face-auth") {
		t.Errorf("summary missing: %s", stdout)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.txt"))
	if (code == 1) != (len(files) > 0) {
		t.Errorf("exit %d with %d finding files", code, len(files))
	}
	// Every finding written replays to the same finding.
	for _, f := range files {
		if code, stdout, _ := runCLI(t, "fuzz", "--replay", f); code != 1 || !strings.Contains(stdout, "reproduces") {
			t.Errorf("replay of %s: exit %d\n%s", f, code, stdout)
		}
	}
}

func TestFuzzCommandReplayClean(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seq.txt")
	seq := "card pin-blocked\n> 00A4040C0AD392F000260100000001\n< 9000\n> 00A4020C020018\n> 00200080\n< 63C3\nreset\n> 00200080\n"
	if err := os.WriteFile(path, []byte(seq), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "fuzz", "--replay", path)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	// The pin-blocked card answers 63C0 where the file recorded 63C3.
	for _, want := range []string{"< 63C0   (recorded 63C3)", "reset", "no longer reproduces on embedded:pin-blocked"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("replay output lacks %q:\n%s", want, stdout)
		}
	}
}

// A clean run leaves no finding directory, and reports in JSON or JUnit
// on stdout when asked.
func TestFuzzCommandReports(t *testing.T) {
	out := filepath.Join(t.TempDir(), "findings")
	code, stdout, stderr := runCLI(t, "fuzz", "--count", "20", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep fuzzReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if rep.Sequences != 20 || rep.Target != "embedded:normal" || rep.Findings == nil || len(rep.Findings) != 0 || !strings.HasPrefix(rep.Tool, "mynacard ") {
		t.Errorf("report %+v", rep)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a clean run made %s: %v", out, err)
	}
	code, stdout, stderr = runCLI(t, "fuzz", "--count", "20", "--out", out, "--junit", "-")
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal([]byte(stdout), &suite); code != 0 || err != nil || suite.Tests != 1 || suite.Failures != 0 {
		t.Errorf("--junit -: exit %d, %v, suite %+v, stderr %q\n%s", code, err, suite, stderr, stdout)
	}
}

// A finding made on a real card is replayed on that card's reader, never
// on the emulator. (A child process: libpcsclite fixes its socket at the
// first PC/SC call of a process, which must not be this test binary's.)
func TestFuzzReplayUsesTheFindingsTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "finding.txt")
	if err := os.WriteFile(path, []byte("target pcsc:No Such Reader 00 00\ncard normal\n> 00A4040C0AD392F000260100000001\n< 9000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runMyna(t, "fuzz", "--replay", path)
	if code != 1 || !strings.Contains(stderr, "PC/SC") || strings.Contains(stdout, "no longer reproduces") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and a PC/SC error, no replay on the emulator", code, stdout, stderr)
	}
}
