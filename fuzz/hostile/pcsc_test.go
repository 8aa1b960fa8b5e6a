//go:build linux

package hostile_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/fuzz/hostile"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
	"github.com/mynacard/mynacard/vpcd/testbed"
)

// The short-answer mutation is only worth having if the host really gets
// one byte: vpcd carries it, and pcscd passes it to SCardTransmit as is.
func TestShortAnswerReachesPCSCClient(t *testing.T) {
	card := pcsctest.Card(t, emulator.KindNormal)
	bed := pcsctest.StartCards(t, testbed.Card{Name: "short", Card: card, Wrap: func(c vpcd.Card) vpcd.Card {
		return hostile.New(c, 1, nil, hostile.WithRate(1), hostile.WithMutations("short-answer"))
	}})
	got, err := pcsctest.Connect(t, bed.Readers()[0]).Transmit(apdu.SelectAID(emulator.AppJPKI.AID()).Bytes())
	if err != nil {
		t.Fatalf("SCardTransmit: %v", err)
	}
	if diff := cmp.Diff([]byte{0x90}, got); diff != "" {
		t.Errorf("answer to SELECT through pcscd (-want +got):\n%s", diff)
	}
}
