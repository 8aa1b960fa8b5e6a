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

// setSessionKey answers SET SESSION KEY 80 AE, which starts secure
// messaging in the text AP. The emulator has no secure messaging (card.md
// §4.2 recommendation), so there, and with no AP selected, it does not know
// the command; the other applications refuse it as the card does (card.md
// §5).
func (c *Card) setSessionKey(apdu.Command) ([]byte, apdu.SW) {
	switch c.app {
	case AppJPKI, AppJuki:
		return nil, apdu.SWSecurityNotSatisfied
	case AppVisual, AppCommon:
		return nil, apdu.SWSecurityEnvFaulty
	}
	return nil, apdu.SWINSNotSupported
}
