package contactless

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/apdu"
)

// stubCard answers every command 90 00 and counts resets.
type stubCard struct {
	got    [][]byte
	resets int
}

func (c *stubCard) ATR() []byte { return []byte{0x3B, 0x00} }
func (c *stubCard) Transmit(cmd []byte) []byte {
	c.got = append(c.got, bytes.Clone(cmd))
	return []byte{0x90, 0x00}
}
func (c *stubCard) Reset()    { c.resets++ }
func (c *stubCard) PowerOff() {}

// counting is a rand whose PUPIs are 00 00 00 00, 01 01 01 01, …
type counting struct{ n byte }

func (r *counting) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
	}
	r.n++
	return len(p), nil
}

var jpki06 = ATQB{AppData: [4]byte{0x00, 0x00, 0x05, 0xE0}, ProtocolInfo: [3]byte{0xB3, 0x81, 0xA1}}

// TestGetUID answers GET DATA as PC/SC part 3 readers do for a Type B
// card: the PUPI, 6Cxx for a short Le, 6282 for a long one, 6A81 for the
// ATS (Type A only) and any other P1/P2.
func TestGetUID(t *testing.T) {
	pupi := []byte{0xA1, 0xB2, 0xC3, 0xD4}
	for _, tc := range []struct {
		name string
		cmd  []byte
		want []byte
	}{
		{"Le 00: whole UID", []byte{0xFF, 0xCA, 0x00, 0x00, 0x00}, append(bytes.Clone(pupi), 0x90, 0x00)},
		{"no Le", []byte{0xFF, 0xCA, 0x00, 0x00}, append(bytes.Clone(pupi), 0x90, 0x00)},
		{"Le 04", []byte{0xFF, 0xCA, 0x00, 0x00, 0x04}, append(bytes.Clone(pupi), 0x90, 0x00)},
		{"Le 02: exact length", []byte{0xFF, 0xCA, 0x00, 0x00, 0x02}, []byte{0x6C, 0x04}},
		{"Le 0A: end reached", []byte{0xFF, 0xCA, 0x00, 0x00, 0x0A}, append(bytes.Clone(pupi), 0x62, 0x82)},
		{"extended Le 0000", []byte{0xFF, 0xCA, 0x00, 0x00, 0x00, 0x00, 0x00}, append(bytes.Clone(pupi), 0x90, 0x00)},
		{"P1 01: no ATS on Type B", []byte{0xFF, 0xCA, 0x01, 0x00, 0x00}, []byte{0x6A, 0x81}},
		{"P1 02", []byte{0xFF, 0xCA, 0x02, 0x00, 0x00}, []byte{0x6A, 0x81}},
		{"P2 01", []byte{0xFF, 0xCA, 0x00, 0x01, 0x00}, []byte{0x6A, 0x81}},
		{"with data", []byte{0xFF, 0xCA, 0x00, 0x00, 0x01, 0x00}, []byte{0x67, 0x00}},
		{"truncated Lc", []byte{0xFF, 0xCA, 0x00, 0x00, 0x05, 0x00}, []byte{0x67, 0x00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := &stubCard{}
			r := NewReader(card, jpki06, Part3, bytes.NewReader(pupi))
			if d := cmp.Diff(tc.want, r.Transmit(tc.cmd)); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
			if len(card.got) != 0 {
				t.Errorf("the card saw % X; GET DATA is the reader's", card.got)
			}
		})
	}
}

// TestPassThrough leaves every other command to the card, including other
// CLA FF instructions and the card's own GET DATA (CLA 00).
func TestPassThrough(t *testing.T) {
	card := &stubCard{}
	r := NewReader(card, jpki06, Part3, &counting{})
	cmds := [][]byte{apdu.GetData(0x5F51, 256).Bytes(), {0xFF, 0xB0, 0x00, 0x00, 0x10}, {0xFF, 0xCA}, {0x00, 0xA4, 0x04, 0x0C}}
	for _, c := range cmds {
		r.Transmit(c)
	}
	if d := cmp.Diff(cmds, card.got); d != "" {
		t.Errorf("commands the card saw (-want +got):\n%s", d)
	}
}

// TestActivation draws a PUPI per power-up or reset and keeps it, and the
// ATR, in between: pcscd polls the ATR for presence.
func TestActivation(t *testing.T) {
	card := &stubCard{}
	r := NewReader(card, jpki06, WholeATQB, &counting{n: 1})
	uid := func() []byte { return r.Transmit(apdu.GetUID(256).Bytes()) }
	first, atr := uid(), r.ATR()
	if d := cmp.Diff([]byte{1, 1, 1, 1, 0x90, 0x00}, first); d != "" {
		t.Errorf("first GET UID (-want +got):\n%s", d)
	}
	if !bytes.Equal(atr[5:9], first[:4]) {
		t.Errorf("whole-ATQB ATR % X does not carry the PUPI % X", atr, first[:4])
	}
	if !bytes.Equal(uid(), first) || !bytes.Equal(r.ATR(), atr) {
		t.Error("PUPI or ATR changed without a reset")
	}
	r.PowerOff()
	r.Reset()
	if card.resets != 1 {
		t.Errorf("card reset %d times, want 1", card.resets)
	}
	if d := cmp.Diff([]byte{2, 2, 2, 2, 0x90, 0x00}, uid()); d != "" {
		t.Errorf("GET UID after reset (-want +got):\n%s", d)
	}
	if bytes.Equal(r.ATR(), atr) {
		t.Error("whole-ATQB ATR did not change with the PUPI")
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// TestRandFails keeps serving with the last PUPI when rand fails.
func TestRandFails(t *testing.T) {
	r := NewReader(&stubCard{}, jpki06, Part3, failing{})
	r.Reset()
	if d := cmp.Diff([]byte{0, 0, 0, 0, 0x90, 0x00}, r.Transmit(apdu.GetUID(256).Bytes())); d != "" {
		t.Errorf("GET UID (-want +got):\n%s", d)
	}
}
