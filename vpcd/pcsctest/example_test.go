//go:build linux

package pcsctest_test

import (
	"fmt"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// A unit test sends APDUs to an in-process card.
func ExampleCard() {
	var t testing.TB = &testing.T{} // in a test: the test's t
	card := pcsctest.Card(t, emulator.KindFaceAuth)
	resp := card.Transmit(apdu.SelectAID(emulator.AppJPKI.AID()).Bytes())
	fmt.Printf("SELECT JPKI: % X\n", resp)
	card.Transmit(apdu.SelectEF(emulator.JPKIAuthPIN.FID()).Bytes())
	resp = card.Transmit(apdu.VerifyQuery(0x80).Bytes())
	fmt.Printf("tries left on the auth PIN of a face-auth card: % X\n", resp)
	// Output:
	// SELECT JPKI: 90 00
	// tries left on the auth PIN of a face-auth card: 63 C0
}
