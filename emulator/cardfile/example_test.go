package cardfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
	"github.com/mynacard/mynacard/emulator/profile"
)

// A card kept in a file: locked while in use, every spent try saved
// before the PIN is compared, so it is still spent after a restart.
func ExampleStore() {
	dir, _ := os.MkdirTemp("", "card")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "card.json")
	s, _ := profile.Default(emulator.KindNormal)
	if err := cardfile.Save(path, s); err != nil {
		panic(err)
	}

	run := func(cmds ...apdu.Command) apdu.SW {
		unlock, err := cardfile.Lock(path) // a second process would be refused here
		if err != nil {
			panic(err)
		}
		defer unlock()
		s, err := cardfile.Load(path)
		if err != nil {
			panic(err)
		}
		card, err := emulator.New(s, emulator.WithStore(cardfile.Store{Path: path}))
		if err != nil {
			panic(err)
		}
		var r apdu.Response
		for _, c := range cmds {
			r, _ = apdu.ParseResponse(card.Transmit(c.Bytes()))
		}
		return r.SW
	}
	selectJPKI := apdu.SelectAID(emulator.AppJPKI.AID())
	password := apdu.KeyRef(emulator.JPKISignPassword.FID())
	fmt.Println(run(selectJPKI, apdu.Verify(password, []byte("WRONG1"))).String())
	fmt.Println(run(selectJPKI, apdu.VerifyQuery(password)).String())
	// Output:
	// 63C4 (verification failed, 4 tries left)
	// 63C4 (verification failed, 4 tries left)
}
