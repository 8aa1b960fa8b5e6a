//go:build linux

package pcsctest_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
	"github.com/mynacard/mynacard/vpcd/control"
	"github.com/mynacard/mynacard/vpcd/pcscd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
	"github.com/mynacard/mynacard/vpcd/testbed"
)

// tap is what a client sees of one insertion: the ATR pcscd reports and
// the PUPI GET UID returns.
type tap struct{ atr, pupi []byte }

func readTap(t *testing.T, reader string) tap {
	t.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Release()
	card, err := ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Disconnect(scard.LeaveCard)
	st, err := card.Status()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := card.Transmit(apdu.GetUID(apdu.MaxShortNe).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	r, err := apdu.ParseResponse(raw)
	if err != nil || r.SW != apdu.SWOK || len(r.Data) != 4 {
		t.Fatalf("GET UID: % X", raw)
	}
	return tap{atr: st.Atr, pupi: r.Data}
}

// TestReaderStyleThroughPCSCD: behind a part3 reader the ATR pcscd reports
// is the chip's fixed one; behind an atqb reader it carries the PUPI that
// GET UID returns (3B 8C 80 01 50 PUPI …), and both change when the card
// is removed and inserted through the control channel.
func TestReaderStyleThroughPCSCD(t *testing.T) {
	for _, style := range contactless.Styles {
		t.Run(string(style), func(t *testing.T) {
			card, err := testbed.NewChipCard(emulator.KindNormal, "jpki-06")
			if err != nil {
				t.Fatal(err)
			}
			bed := pcsctest.StartCards(t, testbed.Card{Name: "normal", Card: card, ReaderStyle: style})
			readers := bed.Readers()
			var taps []tap
			for i := range 2 {
				if i > 0 {
					reinsert(t, bed, readers)
				}
				tp := readTap(t, readers[0])
				switch style {
				case contactless.Part3:
					if want := []byte{0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F}; !bytes.Equal(tp.atr, want) {
						t.Errorf("tap %d: ATR % X, want the observed % X", i, tp.atr, want)
					}
				case contactless.WholeATQB:
					if len(tp.atr) != 17 || !bytes.Equal(tp.atr[:5], []byte{0x3B, 0x8C, 0x80, 0x01, 0x50}) || !bytes.Equal(tp.atr[5:9], tp.pupi) {
						t.Errorf("tap %d: ATR % X does not carry GET UID's PUPI % X after 3B 8C 80 01 50", i, tp.atr, tp.pupi)
					}
				}
				taps = append(taps, tp)
			}
			if bytes.Equal(taps[0].pupi, taps[1].pupi) {
				t.Errorf("the PUPI % X stayed across a remove and insert", taps[0].pupi)
			}
			if atrChanged := !bytes.Equal(taps[0].atr, taps[1].atr); atrChanged != (style == contactless.WholeATQB) {
				t.Errorf("ATR % X then % X: changed %t", taps[0].atr, taps[1].atr, atrChanged)
			}
		})
	}
}

// reinsert pulls the card out of its reader and puts it back through the
// control channel, waiting for pcscd to see each.
func reinsert(t *testing.T, bed *testbed.Bed, readers []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, op := range []struct {
		name string
		wait func(context.Context, []string) error
	}{{"remove", pcscd.WaitAbsent}, {"insert", pcscd.WaitPresent}} {
		if _, err := bed.Do(control.Request{Op: op.name}); err != nil {
			t.Fatal(err)
		}
		if err := op.wait(ctx, readers); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
	}
}
