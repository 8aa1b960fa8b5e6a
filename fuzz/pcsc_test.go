package fuzz

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/conformance"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/embedded"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
	"github.com/mynacard/mynacard/vpcd/vpcdtest"
)

// recordingCard notes every command that reaches the card, so a test sees
// what the fuzzer really sent through pcscd.
type recordingCard struct {
	*emulator.Card
	mu   sync.Mutex
	sent [][]byte
}

func (r *recordingCard) Transmit(cmd []byte) []byte {
	r.mu.Lock()
	r.sent = append(r.sent, append([]byte(nil), cmd...))
	r.mu.Unlock()
	return r.Card.Transmit(cmd)
}

// TestFuzzPCSCIsHarmless fuzzes a card in a PC/SC reader, as a vendor would
// a real card: without --allow-destructive nothing may spend a PIN try or
// change the card, no 0- or 1-byte command may go out (they hang pcscd),
// and in differential mode the served card must answer as the emulator does.
func TestFuzzPCSCIsHarmless(t *testing.T) {
	d := pcsctest.Daemon(t, 1)
	s, err := profile.Default(emulator.KindNormal)
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(s)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingCard{Card: card}
	vpcdtest.Serve(t, &vpcd.Server{Card: rec, Addr: d.Addr(0)})
	var target *conformance.PCSC
	for deadline := time.Now().Add(10 * time.Second); target == nil; {
		if target, err = conformance.OpenPCSC(d.ReaderName(0)); err != nil {
			if time.Now().After(deadline) {
				t.Fatalf("card in %q: %v", d.ReaderName(0), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	defer target.Close()
	ref, err := embedded.New("embedded:normal", s)
	if err != nil {
		t.Fatal(err)
	}

	var findings []*Finding
	f := &Fuzzer{
		Target:    target,
		Reference: ref,
		Gen:       NewGenerator(11, SecretsOf(s), false),
		Card:      s.Kind,
		Seed:      11,
		Timeout:   5 * time.Second,
		Found:     func(fd *Finding) error { findings = append(findings, fd); return nil },
	}
	const sequences = 150
	st, err := f.Run(context.Background(), sequences)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range findings {
		t.Errorf("finding through PC/SC: %s", fd)
	}
	if st.Sequences != sequences {
		t.Errorf("ran %d sequences, want %d", st.Sequences, sequences)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.sent) < sequences {
		t.Fatalf("only %d commands reached the card", len(rec.sent))
	}
	for _, cmd := range rec.sent {
		if len(cmd) < 4 || !Harmless(cmd) {
			t.Errorf("sent % X to a card it must not change", cmd)
		}
	}
	after := card.Snapshot()
	for ref, p := range s.PINs {
		if got := after.PINs[ref].Remaining; got != p.Remaining {
			t.Errorf("%v: %d tries left after fuzzing, want %d", ref, got, p.Remaining)
		}
	}
	if diff := cmp.Diff(s.Files, after.Files); diff != "" {
		t.Errorf("files changed by harmless fuzzing (-before +after):\n%s", diff)
	}
	t.Logf("%d commands through pcscd, %s", len(rec.sent), &st)
}
