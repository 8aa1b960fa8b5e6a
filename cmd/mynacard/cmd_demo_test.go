package main

import (
	"bytes"
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
