package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// The demo's point is the contrast between kinds: the same client sequence
// signs on a normal card and is refused on a face-auth card, while the
// certificate and card-face reads work on both.
func TestDemoContrastsKinds(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(&env{stdout: &out, stderr: &errOut}, []string{"demo", "--kinds", "normal,face-auth"}); code != 0 {
		t.Fatalf("demo exit %d: %s", code, errOut.String())
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		cols := strings.Fields(line)
		if len(cols) > 0 {
			rows[cols[0]] = append(rows[cols[0]], line)
		}
	}
	want := []struct {
		row              string
		normal, faceAuth string
	}{
		{"3", "8F8F00", "008F00"},
		{"5", "3082", "3082"},
		{"7", "63C3", "63C0"},
		{"8", "9000", "6984"},
		{"10", "256-byte signature", "6982"},
		{"12", "63C5", "63C0"},
		{"17", "9000", "9000"},
		{"19", "FF2082", "FF2082"},
	}
	for _, w := range want {
		lines := rows[w.row]
		if len(lines) != 1 {
			t.Errorf("row %s: found %d lines", w.row, len(lines))
			continue
		}
		normalAt := strings.Index(lines[0], w.normal)
		faceAt := strings.LastIndex(lines[0], w.faceAuth)
		if normalAt < 0 || faceAt < 0 || (w.normal == w.faceAuth && normalAt == faceAt) || normalAt > faceAt {
			t.Errorf("row %s = %q; want %q for normal then %q for face-auth", w.row, lines[0], w.normal, w.faceAuth)
		}
	}
	if strings.Contains(out.String(), "1234") || strings.Contains(out.String(), "55021720352285") {
		t.Error("demo output shows a secret")
	}
}

// With --chip a contactless card joins the table: its reader answers
// GET UID with a 4-byte PUPI and reports the ATR built from ATQB.
func TestDemoContactless(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(&env{stdout: &out, stderr: &errOut}, []string{"demo", "--kinds", "normal", "--chip", "jpki-06"}); code != 0 {
		t.Fatalf("demo exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"normal@jpki-06", "6E00", "3BDA13FF8131FB468012392F31C173C601C03B", "3B888001000005E0B381A1007F"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`GET UID .*6E00 class not supported +[0-9A-F]{8} · 9000 OK`).MatchString(out.String()) {
		t.Errorf("GET UID row is not a contact refusal then a 4-byte UID:\n%s", out.String())
	}
}
