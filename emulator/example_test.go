package emulator_test

import (
	"fmt"
	"os"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/sirupsen/logrus"
)

// A card from a State (here a built-in one; cardfile.Load reads one from
// a file), logging warnings and errors to a logrus logger of the caller's.
func ExampleNew() {
	log := logrus.New()
	log.SetOutput(os.Stderr)
	s, err := profile.Default(emulator.KindFaceAuth)
	if err != nil {
		panic(err)
	}
	card, err := emulator.New(s, emulator.WithLogger(log.WithField("card", "face-auth")))
	if err != nil {
		panic(err)
	}
	card.Transmit(apdu.SelectAID(emulator.AppJPKI.AID()).Bytes())
	r, _ := apdu.ParseResponse(card.Transmit(apdu.VerifyQuery(apdu.KeyRef(emulator.JPKIAuthPIN.FID())).Bytes()))
	fmt.Println("auth PIN of a face-auth card:", r.SW.String())
	// Output:
	// auth PIN of a face-auth card: 63C0 (verification failed, no tries left)
}
