package profile_test

import (
	"fmt"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// A card in the same process: made in one call, logging through any
// logrus logger, answering APDUs built with package apdu.
func ExampleNewCard() {
	log, hook := test.NewNullLogger() // or logrus.New(), or an entry of your own logger
	log.SetLevel(logrus.DebugLevel)   // one line per APDU
	card, err := profile.NewCard(emulator.KindNormal, emulator.WithLogger(log))
	if err != nil {
		panic(err)
	}
	transmit := func(c apdu.Command) apdu.Response {
		r, err := apdu.ParseResponse(card.Transmit(c.Bytes()))
		if err != nil {
			panic(err)
		}
		return r
	}

	transmit(apdu.SelectAID(emulator.AppJPKI.AID()))
	pin := apdu.KeyRef(emulator.JPKIAuthPIN.FID())
	fmt.Println("wrong PIN:", transmit(apdu.Verify(pin, []byte("0000"))).SW.String())
	fmt.Println("right PIN:", transmit(apdu.Verify(pin, []byte("1234"))).SW.String())
	transmit(apdu.SelectEF(emulator.JPKIAuthCert.FID()))
	r := transmit(apdu.ReadBinary(0, 4))
	fmt.Printf("auth certificate starts % X, %s\n", r.Data[:2], r.SW.String())

	// The log names each command and never shows a PIN.
	for _, e := range hook.AllEntries() {
		fmt.Println(e.Data["cmd"], "→", e.Data["sw"])
	}
	// Output:
	// wrong PIN: 63C2 (verification failed, 2 tries left)
	// right PIN: 9000 (OK)
	// auth certificate starts 30 82, 9000 (OK)
	// SELECT AP jpki → 9000 (OK)
	// VERIFY jpki/0018 (auth PIN) data 4 bytes [REDACTED] → 63C2 (verification failed, 2 tries left)
	// VERIFY jpki/0018 (auth PIN) data 4 bytes [REDACTED] → 9000 (OK)
	// SELECT EF jpki/000A (auth cert) → 9000 (OK)
	// READ BINARY offset 0 Le 4 → 9000 (OK)
}
