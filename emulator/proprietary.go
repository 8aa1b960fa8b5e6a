package emulator

import "github.com/mynacard/mynacard/apdu"

// The JICSAP commands the emulator knows only well enough to refuse as the
// card does (card.md §2, §5, §11.3).

// lastCommand answers the iPhone token's "last command" 80 FC, which
// physical cards refuse (card.md §2).
func (c *Card) lastCommand(apdu.Command) ([]byte, apdu.SW) { return nil, apdu.SWWrongLength }

// verifyCertificate answers SET PUBLIC IC KEY / VERIFY CERTIFICATE 80 A2
// (特定機関認証, card.md §5, §11.3): the exchange is not public and every
// P1 P2 tried on a card answered 6A86, which is all the emulator answers.
func (c *Card) verifyCertificate(apdu.Command) ([]byte, apdu.SW) {
	return nil, apdu.SWIncorrectP1P2
}
