package profile

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
)

// TestContactlessATRs: each contactless preset keeps its ATQB, and the
// ATR a PC/SC part 3 reader builds from it is the one observed (card.md
// §1.2), whatever the PUPI of the tap.
func TestContactlessATRs(t *testing.T) {
	observed := map[Chip]string{
		"jpki-06": "3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F",
		"jpki-07": "3B 88 80 01 00 00 41 E0 B3 81 A1 00 3B",
		"jpki-08": "3B 88 80 01 00 4B 51 FF 00 81 D1 00 BC",
		"jpki-09": "3B 88 80 01 00 4B 51 FF B3 81 D1 00 0F",
	}
	n := 0
	for _, c := range Chips() {
		if (c.Interface == Contactless) != (c.ATQB != nil) {
			t.Errorf("%s: %s chip with ATQB %v", c.Name, c.Interface, c.ATQB)
		}
		if c.ATQB == nil {
			continue
		}
		n++
		want := hexATR(observed[c.Name])
		if !bytes.Equal(c.ATR, want) {
			t.Errorf("%s: preset ATR % X, observed % X", c.Name, c.ATR, want)
		}
		st, card := chipCard(t, c.Name)
		r := Present(st, card, contactless.Part3)
		for range 2 {
			r.Reset() // a new tap, a new PUPI: the part 3 ATR does not show it
			if !bytes.Equal(r.ATR(), want) {
				t.Errorf("%s: served ATR % X, observed % X", c.Name, r.ATR(), want)
			}
		}
	}
	if n != len(observed) {
		t.Errorf("%d contactless presets, want %d", n, len(observed))
	}
}

// TestPresent: a contact chip (or none) is served as it is, and CLA FF
// reaches its card OS, which refuses the class; a contactless one answers
// GET UID with a fresh PUPI per activation.
func TestPresent(t *testing.T) {
	uid := apdu.GetUID(256).Bytes()
	for _, chip := range []Chip{"", DefaultChip} {
		st, err := Default(emulator.KindNormal)
		if err != nil {
			t.Fatal(err)
		}
		st.Chip = string(chip)
		card, err := emulator.New(st)
		if err != nil {
			t.Fatal(err)
		}
		if got := Present(st, card, contactless.Part3); got != card {
			t.Errorf("chip %q: served through %T", chip, got)
		}
		if d := cmp.Diff([]byte{0x6E, 0x00}, card.Transmit(uid)); d != "" {
			t.Errorf("chip %q: GET UID on contact (-want +got):\n%s", chip, d)
		}
	}
	st, card := chipCard(t, "jpki-08")
	r := Present(st, card, contactless.Part3)
	seen := map[string]bool{}
	for range 4 {
		got, err := apdu.ParseResponse(r.Transmit(uid))
		if err != nil || got.SW != apdu.SWOK || len(got.Data) != 4 {
			t.Fatalf("GET UID: % X %v", got.Data, err)
		}
		seen[string(got.Data)] = true
		r.Reset()
	}
	if len(seen) < 2 {
		t.Errorf("4 activations gave %d PUPIs", len(seen))
	}
}
