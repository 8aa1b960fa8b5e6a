package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/profile"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(&env{stdout: &o, stderr: &e}, args)
	return code, o.String(), e.String()
}

func TestProfileNewAndShow(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []emulator.Kind{emulator.KindNormal, emulator.KindFaceAuth} {
		t.Run(string(k), func(t *testing.T) {
			path := filepath.Join(dir, string(k)+".json")
			code, out, errOut := runCLI(t, "profile", "new", "--kind", string(k), "-o", path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.Contains(out, "wrote "+path) {
				t.Errorf("output %q does not name the file", out)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", fi.Mode().Perm())
			}
			s, err := cardfile.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != k {
				t.Errorf("kind %q, want %q", s.Kind, k)
			}

			code, out, errOut = runCLI(t, "profile", "show", path)
			if code != 0 {
				t.Fatalf("show: exit %d: %s", code, errOut)
			}
			for _, want := range []string{"kind:      " + string(k), "番号　花子", "jpki/000A auth", "O=JPKI-TEST", "jpki/0018"} {
				if !strings.Contains(out, want) {
					t.Errorf("show output lacks %q:\n%s", want, out)
				}
			}
			// Secrets never printed: PINs, the sign password, 照合番号.
			for _, secret := range []string{"ABC123", "55021720352285", "123456789018"} {
				if strings.Contains(out, secret) {
					t.Errorf("show output contains the secret %q", secret)
				}
			}
			wantBlocked := k == emulator.KindFaceAuth
			if got := strings.Contains(out, "jpki/0018   0/3  BLOCKED"); got != wantBlocked {
				t.Errorf("auth PIN shown blocked: %v, want %v:\n%s", got, wantBlocked, out)
			}
		})
	}
}

func TestProfileNewRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "profile", "new", "-o", path)
	if code != 1 || !strings.Contains(errOut, "--force") {
		t.Errorf("exit %d, stderr %q; want 1 and a hint about --force", code, errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Error("existing file was changed")
	}
	if code, _, errOut := runCLI(t, "profile", "new", "--force", "-o", path); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, errOut)
	}
	if _, err := cardfile.Load(path); err != nil {
		t.Errorf("--force did not write a card: %v", err)
	}
}

func TestProfilePersonaRoundTrip(t *testing.T) {
	code, out, _ := runCLI(t, "profile", "persona")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var p profile.Persona
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("persona output is not JSON: %v", err)
	}
	if p.AuthPIN != "1234" || p.SignPassword != "ABC123" || p.MyNumber != profile.DefaultPersona().MyNumber {
		t.Errorf("persona output lacks the default secrets: %+v", p)
	}

	dir := t.TempDir()
	p.Name = "試験　次郎"
	p.SignPassword = "XYZ789"
	b, _ := json.Marshal(p)
	personaPath := filepath.Join(dir, "persona.json")
	os.WriteFile(personaPath, b, 0o600)
	cardPath := filepath.Join(dir, "card.json")
	if code, _, errOut := runCLI(t, "profile", "new", "--kind", "normal", "--persona", personaPath, "-o", cardPath); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s, err := cardfile.Load(cardPath)
	if err != nil {
		t.Fatal(err)
	}
	if s.Holder.Name != "試験　次郎" || string(s.PINs[emulator.JPKISignPassword].Value) != "XYZ789" {
		t.Errorf("card does not carry the edited persona: name %q", s.Holder.Name)
	}
}

// TestProfileChips: every preset is listed, and a card made with --chip
// shows that chip and its ATRs.
func TestProfileChips(t *testing.T) {
	code, out, errOut := runCLI(t, "profile", "chips")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, c := range profile.Chips() {
		if !strings.Contains(out, string(c.Name)) || !strings.Contains(out, fmt.Sprintf("% X", c.ATR)) {
			t.Errorf("chips output lacks %s % X:\n%s", c.Name, c.ATR, out)
		}
	}
	if !strings.Contains(out, string(profile.DefaultChip)+" (default)") {
		t.Errorf("chips output does not mark the default:\n%s", out)
	}

	path := filepath.Join(t.TempDir(), "card.json")
	if code, _, errOut := runCLI(t, "profile", "new", "--chip", "jpki-08", "-o", path); code != 0 {
		t.Fatalf("new --chip: exit %d: %s", code, errOut)
	}
	spec, _ := profile.Chip("jpki-08").Spec()
	code, out, errOut = runCLI(t, "profile", "show", path)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"chip:      jpki-08 (contactless", fmt.Sprintf("atr:       % X", spec.ATR), fmt.Sprintf("stored atr: % X", spec.StoredATR())} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
}

// profile new -o - writes the card JSON to stdout and nothing else.
func TestProfileNewToStdout(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errOut := runCLI(t, "profile", "new", "--kind", "face-auth", "-o", "-")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	path := filepath.Join(dir, "card.json")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := cardfile.Load(path); err != nil || s.Kind != emulator.KindFaceAuth {
		t.Errorf("stdout is not a face-auth card file: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the working directory, want only the test's own", len(ents))
	}
}

// profile pins prints what conformance --pins takes: every secret of the
// card, so a suite run on the card served through PC/SC may present them.
func TestProfilePins(t *testing.T) {
	for _, k := range []emulator.Kind{emulator.KindNormal, emulator.KindFaceAuth} {
		path := newCardFile(t, k, t.TempDir(), "card.json", nil)
		code, out, errOut := runCLI(t, "profile", "pins", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", k, code, errOut)
		}
		got, err := conformance.ParseProfile([]byte(out))
		if err != nil {
			t.Fatalf("%s: the printed pins file does not parse: %v\n%s", k, err, out)
		}
		want := conformance.ProfileFromState(loadCardFile(t, path))
		// text/0012 is blocked on every card from issuance; its value is
		// no secret anyone holds (card.md §4.2).
		delete(want.Secrets, emulator.TextBlockedKey)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: pins file (-from the card +parsed):\n%s", k, d)
		}
	}
	if code, _, _ := runCLI(t, "profile", "pins"); code != 2 {
		t.Errorf("profile pins without a card: exit %d, want 2", code)
	}
}
