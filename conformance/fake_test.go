package conformance

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// fakeReal is a "real card" for the safety tests: an emulated card that
// claims to be hardware and records every APDU it is sent.
type fakeReal struct {
	*Embedded
	named bool
	sent  [][]byte
}

func newFakeReal(t *testing.T, kind emulator.Kind, edit func(*emulator.State)) *fakeReal {
	t.Helper()
	e, err := EmbeddedKind(kind)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		s := e.Initial().Clone()
		edit(s)
		if e, err = NewEmbedded("fake-real", s); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeReal{Embedded: e}
}

func (f *fakeReal) Transmit(cmd []byte) ([]byte, error) {
	f.sent = append(f.sent, bytes.Clone(cmd))
	return f.Embedded.Transmit(cmd)
}

func (f *fakeReal) Caps() Caps { return Caps{Real: true, ReaderNamed: f.named} }

// verifies returns the data of every VERIFY that carried a value, with the
// key reference selected when it was sent.
func (f *fakeReal) verifies() (refs []emulator.FileRef, values [][]byte) {
	var app emulator.App
	var fid uint16
	for _, raw := range f.sent {
		c, err := apdu.ParseCommand(raw)
		if err != nil || c.CLA != 0 {
			continue
		}
		switch {
		case c.INS == 0xA4 && c.P1 == 0x04:
			app, _ = emulator.AppByAID(c.Data)
		case c.INS == 0xA4 && c.P1 == 0x02 && len(c.Data) == 2:
			fid = uint16(c.Data[0])<<8 | uint16(c.Data[1])
		case c.INS == 0x20 && len(c.Data) > 0:
			refs = append(refs, emulator.Ref(app, fid))
			values = append(values, bytes.Clone(c.Data))
		}
	}
	return refs, values
}

func (f *fakeReal) counter(ref emulator.FileRef) int {
	return f.Card().Snapshot().PINs[ref].Remaining
}

func resultOf(t *testing.T, rep *Report, id string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return Result{}
}

// On a real card, by default only read-only cases run, and every VERIFY
// that carries a value carries the value given for that very key.
func TestRealDefaultReadOnly(t *testing.T) {
	f := newFakeReal(t, emulator.KindNormal, nil)
	prof := f.Profile()
	rep, err := Run(f, prof, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Class != ReadOnly && r.Status != Skip {
			t.Errorf("%s (%v) ran on a real card by default: %s", r.ID, r.Class, r.Status)
		}
		if r.Status == Fail {
			t.Errorf("%s failed:\n%s", r.ID, formatFailure(r, false))
		}
	}
	refs, values := f.verifies()
	if len(refs) == 0 {
		t.Fatal("no VERIFY was sent at all; the read-only cases that use given PINs did not run")
	}
	for i, ref := range refs {
		if !bytes.Equal(values[i], prof.Secrets[ref]) {
			t.Errorf("VERIFY #%d of %v sent a value other than the one given", i, ref)
		}
	}
	for ref, p := range f.Card().Snapshot().PINs {
		if !p.Blocked() && p.Remaining != p.Max {
			t.Errorf("%v: %d of %d tries left after a default run", ref, p.Remaining, p.Max)
		}
	}
}

// Without given secrets no VERIFY with data is ever sent.
func TestRealNoSecretsNoVerify(t *testing.T) {
	f := newFakeReal(t, emulator.KindNormal, nil)
	rep, err := Run(f, Profile{}, Options{AllowSpend: true, AllowDestructive: true})
	if err != nil {
		t.Fatal(err)
	}
	if refs, _ := f.verifies(); len(refs) != 0 {
		t.Errorf("%d VERIFY commands with data sent although no secret was given: %v", len(refs), refs)
	}
	if rep.Kind != emulator.KindNormal {
		t.Errorf("kind read off the card %q, want %q", rep.Kind, emulator.KindNormal)
	}
	if r := resultOf(t, rep, "JPKI-SIG-001"); r.Status != Skip || !strings.Contains(r.Reason, "not given") {
		t.Errorf("JPKI-SIG-001: %s %q, want skipped for a missing secret", r.Status, r.Reason)
	}
}

// A case that spends a try is refused when a miss would leave fewer than
// 2 tries, and then sends no wrong value.
func TestRealCounterGuard(t *testing.T) {
	f := newFakeReal(t, emulator.KindNormal, func(s *emulator.State) { s.PINs[emulator.JPKIAuthPIN].Remaining = 2 })
	rep, err := Run(f, f.Profile(), Options{AllowSpend: true, Only: []string{"JPKI-PIN-1", "JPKI-SIG-001"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"JPKI-PIN-102", "JPKI-PIN-103", "JPKI-SIG-001"} {
		if r := resultOf(t, rep, id); r.Status != Skip || !strings.Contains(r.Reason, "would leave fewer than 2 tries") {
			t.Errorf("%s: %s %q, want skipped: would leave fewer than 2 tries", id, r.Status, r.Reason)
		}
	}
	if refs, _ := f.verifies(); len(refs) != 0 {
		t.Errorf("VERIFY with data sent to a key with 2 tries left: %v", refs)
	}
	if n := f.counter(emulator.JPKIAuthPIN); n != 2 {
		t.Errorf("auth PIN counter %d after the run, want 2", n)
	}
}

// With 3 tries the spending cases run, and leave the counter full.
func TestRealSpendRestores(t *testing.T) {
	f := newFakeReal(t, emulator.KindNormal, nil)
	rep, err := Run(f, f.Profile(), Options{AllowSpend: true, Only: []string{"JPKI-PIN-1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"JPKI-PIN-102", "JPKI-PIN-103"} {
		if r := resultOf(t, rep, id); r.Status != Pass {
			t.Errorf("%s: %s %q %v", id, r.Status, r.Reason, r.Failures)
		}
	}
	if r := resultOf(t, rep, "JPKI-PIN-104"); r.Status != Skip {
		t.Errorf("destructive JPKI-PIN-104 %s without --allow-destructive", r.Status)
	}
	if n := f.counter(emulator.JPKIAuthPIN); n != 3 {
		t.Errorf("auth PIN counter %d after the run, want 3", n)
	}
}

// A given secret the card refuses is presented once, never again.
func TestRealWrongGivenSecret(t *testing.T) {
	f := newFakeReal(t, emulator.KindNormal, nil)
	prof := f.Profile()
	prof.Secrets[emulator.JPKIAuthPIN] = emulator.Secret("9999")
	rep, err := Run(f, prof, Options{AllowSpend: true})
	if err != nil {
		t.Fatal(err)
	}
	refs, _ := f.verifies()
	if n := slices.Index(refs, emulator.JPKIAuthPIN); n < 0 || slices.Contains(refs[n+1:], emulator.JPKIAuthPIN) {
		t.Errorf("auth PIN presented %d times, want once", len(slices.DeleteFunc(refs, func(r emulator.FileRef) bool { return r != emulator.JPKIAuthPIN })))
	}
	if n := f.counter(emulator.JPKIAuthPIN); n != 2 {
		t.Errorf("auth PIN counter %d, want 2 (one refused attempt)", n)
	}
	if !rep.Failed() {
		t.Error("a refused given PIN did not fail the run")
	}
}

// Destructive cases need both --allow-destructive and a reader named.
func TestRealDestructiveNeedsNamedReader(t *testing.T) {
	for _, tt := range []struct {
		allow, named, runs bool
	}{{false, true, false}, {true, false, false}, {true, true, true}} {
		f := newFakeReal(t, emulator.KindNormal, nil)
		f.named = tt.named
		rep, err := Run(f, f.Profile(), Options{AllowSpend: true, AllowDestructive: tt.allow, Only: []string{"JPKI-PIN-104"}})
		if err != nil {
			t.Fatal(err)
		}
		r := resultOf(t, rep, "JPKI-PIN-104")
		if ran := r.Status != Skip; ran != tt.runs {
			t.Errorf("allow=%v named=%v: JPKI-PIN-104 %s %q, want ran=%v", tt.allow, tt.named, r.Status, r.Reason, tt.runs)
		}
		if blocked := f.counter(emulator.JPKIAuthPIN) == 0; blocked != tt.runs {
			t.Errorf("allow=%v named=%v: auth PIN blocked=%v", tt.allow, tt.named, blocked)
		}
	}
}

// No report form shows a PIN: VERIFY data is replaced by its length.
func TestReportsRedactSecrets(t *testing.T) {
	f := newFakeReal(t, emulator.KindNormal, nil)
	prof := f.Profile()
	prof.Secrets[emulator.TextPIN] = emulator.Secret("8642") // refused: the case fails and shows its exchange
	rep, err := Run(f, prof, Options{Only: []string{"TEXT-RD-003"}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() {
		t.Fatal("TEXT-RD-003 with a wrong PIN did not fail")
	}
	var out bytes.Buffer
	for _, w := range []func(*bytes.Buffer, *Report) error{
		func(b *bytes.Buffer, r *Report) error { return WriteTable(b, r) },
		func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) },
		func(b *bytes.Buffer, r *Report) error { return WriteJUnit(b, r) },
	} {
		if err := w(&out, rep); err != nil {
			t.Fatal(err)
		}
	}
	js, _ := json.Marshal(rep)
	for _, leak := range []string{"38 36 34 32", "8642", "38363432"} {
		if strings.Contains(out.String(), leak) || strings.Contains(string(js), leak) {
			t.Errorf("report contains the PIN as %q", leak)
		}
	}
	if !strings.Contains(out.String(), "00 20 00 80 04 ** ** ** **") {
		t.Errorf("report lacks the redacted VERIFY:\n%s", out.String())
	}
}
