//go:build linux

package pcsctest_test

import (
	"fmt"
	"testing"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/vpcd/control"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// A unit test sends APDUs to an in-process card.
func ExampleCard() {
	var t testing.TB = &testing.T{} // in a test: the test's t
	card := pcsctest.Card(t, emulator.KindFaceAuth)
	resp := card.Transmit(apdu.SelectAID(emulator.AppJPKI.AID()).Bytes())
	fmt.Printf("SELECT JPKI: % X\n", resp)
	card.Transmit(apdu.SelectEF(emulator.JPKIAuthPIN.FID).Bytes())
	resp = card.Transmit(apdu.VerifyQuery(0x80).Bytes())
	fmt.Printf("tries left on the auth PIN of a face-auth card: % X\n", resp)
	// Output:
	// SELECT JPKI: 90 00
	// tries left on the auth PIN of a face-auth card: 63 C0
}

// A test puts cards in the readers of a private pcscd; its unchanged PC/SC
// code finds them by reader name, and the control channel changes them
// while they stay in the reader.
func ExampleStart() {
	var t testing.TB = &testing.T{} // in a test: the test's t
	bed := pcsctest.Start(t, emulator.KindNormal, emulator.KindFaceAuth)

	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Release()
	card, err := ctx.Connect(bed.Readers()[0], scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Disconnect(scard.LeaveCard)
	resp, err := card.Transmit(apdu.SelectAID(emulator.AppJPKI.AID()).Bytes())
	fmt.Printf("% X %v\n", resp, err)

	// Pull the face-auth card out of its reader.
	if _, err := bed.Do(control.Request{Op: "remove", Slot: 1}); err != nil {
		t.Fatal(err)
	}
}
