package profile

import (
	"bytes"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// TestChips checks every preset against card.md §1.1–§1.2: a well-formed
// ATR with a correct TCK, a stored contact ATR, and extended length as the
// capability bytes declare it.
func TestChips(t *testing.T) {
	want := map[Chip]struct {
		iface Interface
		ext   ExtendedLength
	}{
		"jpki-01": {Contact, ExtendedUnknown}, // no historical bytes
		"jpki-02": {Contact, ExtendedDeclared},
		"jpki-03": {Contact, ExtendedNotDeclared},
		"jpki-04": {Contact, ExtendedUnknown}, // proprietary historical bytes
		"jpki-05": {Contact, ExtendedUnknown},
		"jpki-06": {Contactless, ExtendedUnknown},
		"jpki-07": {Contactless, ExtendedUnknown},
		"jpki-08": {Contactless, ExtendedUnknown},
		"jpki-09": {Contactless, ExtendedUnknown},
	}
	if len(Chips()) != len(want) {
		t.Fatalf("%d chips, want %d", len(Chips()), len(want))
	}
	for _, c := range Chips() {
		w := want[c.Name]
		if c.Interface != w.iface {
			t.Errorf("%s: interface %s, want %s", c.Name, c.Interface, w.iface)
		}
		if _, err := HistoricalBytes(c.ATR); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		stored := c.StoredATR()
		if _, err := HistoricalBytes(stored); err != nil || stored[1] == 0x88 {
			t.Errorf("%s: stored ATR % X is not a contact ATR (%v)", c.Name, stored, err)
		}
		if got := c.ExtendedLength(); got != w.ext {
			t.Errorf("%s: extended length %s, want %s", c.Name, got, w.ext)
		}
	}
	if _, err := Chip("jpki-10").Spec(); err == nil {
		t.Error("unknown chip accepted")
	}
}

func TestHistoricalBytesRejects(t *testing.T) {
	for name, atr := range map[string][]byte{
		"short":     {0x3B},
		"bad TS":    {0x3A, 0x00},
		"bad TCK":   {0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x15},
		"truncated": {0x3B, 0xE0, 0x00, 0xFF, 0x81},
		"too long":  {0x3B, 0x00, 0x00},
	} {
		if _, err := HistoricalBytes(atr); err == nil {
			t.Errorf("%s: % X accepted", name, atr)
		}
	}
}

// TestSetChip runs the default card as every chip: the reader ATR, GET
// DATA 5F51 and extended READ BINARY follow the preset.
func TestSetChip(t *testing.T) {
	for _, c := range Chips() {
		t.Run(string(c.Name), func(t *testing.T) {
			_, card := chipCard(t, c.Name)
			if !bytes.Equal(card.ATR(), c.ATR) {
				t.Errorf("reader ATR % X, want % X", card.ATR(), c.ATR)
			}
			send := func(cmd apdu.Command) apdu.Response {
				r, err := apdu.ParseResponse(card.Transmit(cmd.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			if r := send(apdu.Command{INS: 0xCA, P1: 0x5F, P2: 0x51, Ne: 256}); r.SW != apdu.SWOK || !bytes.Equal(r.Data, c.StoredATR()[1:]) {
				t.Errorf("GET DATA 5F51 = % X %s, want % X", r.Data, r.SW.String(), c.StoredATR()[1:])
			}
			send(apdu.Command{INS: 0xA4, P1: 0x04, P2: 0x0C, Data: emulator.AppJPKI.AID()})
			send(apdu.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{0x00, 0x0A}})
			r := send(apdu.Command{INS: 0xB0, Ne: 1024, Extended: true})
			wantOK := c.ExtendedLength() != ExtendedNotDeclared
			if (r.SW == apdu.SWOK) != wantOK {
				t.Errorf("extended READ BINARY: %s, want success %v (%s)", r.SW.String(), wantOK, c.ExtendedLength())
			}
		})
	}
	if err := SetChip(&emulator.State{}, "nope"); err == nil {
		t.Error("SetChip accepted an unknown chip")
	}
}

// chipCard is the default normal card made chip c, and its state.
func chipCard(t *testing.T, c Chip) (*emulator.State, *emulator.Card) {
	t.Helper()
	s, err := DefaultWithChip(emulator.KindNormal, c)
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, card
}
