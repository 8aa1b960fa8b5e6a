package emulator

import (
	"io"

	"github.com/mynacard/mynacard/apdu"
)

// getChallenge implements 00 84 00 00 Le, a card-level command (card.md
// §2): exactly Le random bytes; the extended form is refused with 6985.
func (c *Card) getChallenge(cmd apdu.Command) ([]byte, apdu.SW) {
	switch {
	case cmd.P1 != 0 || cmd.P2 != 0:
		return nil, apdu.SWIncorrectP1P2
	case cmd.Extended:
		return nil, apdu.SWConditionsNotMet
	case len(cmd.Data) != 0 || cmd.Ne == 0:
		return nil, apdu.SWWrongLength
	}
	out := c.scratch[:cmd.Ne]
	if _, err := io.ReadFull(c.rand, out); err != nil {
		return nil, apdu.SWUnknown
	}
	return out, apdu.SWOK
}
