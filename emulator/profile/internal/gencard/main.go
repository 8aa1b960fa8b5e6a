// Command gencard regenerates the card Default embeds: a normal card of
// the default persona, issued now.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

func main() {
	out := flag.String("o", "data/default-card.json", "output file")
	flag.Parse()
	s, err := profile.Generate(profile.DefaultPersona(), emulator.KindNormal, time.Now())
	if err == nil {
		var b []byte
		if b, err = json.MarshalIndent(s, "", "\t"); err == nil {
			err = os.WriteFile(*out, append(b, '\n'), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencard:", err)
		os.Exit(1)
	}
}
