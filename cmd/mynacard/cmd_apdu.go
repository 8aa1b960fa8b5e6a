package main

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

func init() {
	register(command{name: "apdu", summary: "send APDUs (hex) to a card file and show the answers", run: runAPDU})
}

func runAPDU(e *env, args []string) error {
	fs := newFlags(e, "apdu", "CARD.json HEX...")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("want a card file and at least one APDU")
	}
	cmds := make([][]byte, len(pos)-1)
	for i, s := range pos[1:] {
		b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil || len(b) == 0 {
			return usagef("APDU %d %q is not hex", i+1, s)
		}
		cmds[i] = b
	}
	path := pos[0]
	card, unlock, err := openCardFile(path)
	if err != nil {
		return err
	}
	defer unlock()
	for _, cmd := range cmds {
		fmt.Fprintf(e.stdout, "> %s\n  %s\n", emulator.Describe(cmd, card.Selected()), apdu.Redact(cmd))
		r, err := apdu.ParseResponse(card.Transmit(cmd))
		if err != nil {
			return err
		}
		if len(r.Data) > 0 {
			fmt.Fprintf(e.stdout, "< %X\n", r.Data)
		}
		fmt.Fprintf(e.stdout, "< %s\n", r.SW.String())
	}
	return nil
}
