package emulator

import (
	"bytes"

	"github.com/mynacard/mynacard/apdu"
)

// SELECT (card.md §2, §5): applications by DF name, EFs by FID, and the card
// manager's odd answers to a SELECT of the MF.

// isdAID is the GlobalPlatform issuer security domain; selecting it returns
// the card to its power-on card-manager state (card.md §2).
var isdAID = []byte{0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00}

const mfFID = 0x3F00

func (c *Card) selectFile(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P2 != 0x0C && cmd.P2 != 0x00 {
		return nil, apdu.SWIncorrectP1P2
	}
	switch cmd.P1 {
	case 0x04:
		return c.selectDF(cmd)
	case 0x02:
		return c.selectEF(cmd)
	case 0x00:
		return c.selectMF(cmd)
	}
	return nil, apdu.SWIncorrectP1P2
}

// selectDF selects an application by its full DF name or, as JICSAP
// allows, by a prefix of it. Success ends the previous security status.
func (c *Card) selectDF(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P2 == 0x00 && !c.state.Settings.SelectFCI {
		return nil, apdu.SWIncorrectP1P2
	}
	app, aid, ok := findDF(cmd.Data)
	if !ok {
		return nil, apdu.SWFileNotFound
	}
	c.resetSession()
	c.app = app
	if cmd.P2 == 0x0C {
		return nil, apdu.SWOK
	}
	return c.fci(0x84, aid)
}

// findDF matches name against the applications (full name first, then as a
// prefix in card order) and the ISD, which selects AppNone.
func findDF(name []byte) (App, []byte, bool) {
	if len(name) == 0 {
		return AppNone, nil, false
	}
	if a, ok := AppByAID(name); ok {
		return a, a.aid(), true
	}
	for _, a := range Apps() {
		if bytes.HasPrefix(a.aid(), name) {
			return a, a.aid(), true
		}
	}
	if bytes.HasPrefix(isdAID, name) {
		return AppNone, isdAID, true
	}
	return AppNone, nil, false
}

// fci builds the FCI template 6F { tag value } answered to P2=00. Its
// content is not published (card.md §14.2); the name is the least a client
// can use. Like any response data it is sent only when Le asks for it, and
// no more than Ne bytes of it (ISO 7816-4 §5.1): the command table cuts it
// as it cuts READ BINARY.
func (c *Card) fci(tag byte, value []byte) ([]byte, apdu.SW) {
	t := append(c.scratch[:0], 0x6F, byte(len(value)+2), tag, byte(len(value)))
	return append(t, value...), apdu.SWOK
}

// selectEF selects an EF of the current application (or of the MF) by FID.
// A failed SELECT leaves the current EF as it was.
func (c *Card) selectEF(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P2 == 0x00 && !c.state.Settings.SelectFCI {
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) != 2 {
		return nil, apdu.SWWrongLength
	}
	fid := uint16(cmd.Data[0])<<8 | uint16(cmd.Data[1])
	n := c.fs.get(c.app, fid)
	if n == nil {
		return nil, apdu.SWFileNotFound
	}
	c.cur = n
	if cmd.P2 == 0x0C {
		return nil, apdu.SWOK
	}
	return c.fci(0x83, cmd.Data)
}

// selectMF answers 00 A4 00 xx. The card has no selectable MF: right after
// reset the command is refused, inside an application it is accepted and
// changes nothing, and 3F00 by FID is not found (card.md §2).
func (c *Card) selectMF(cmd apdu.Command) ([]byte, apdu.SW) {
	switch {
	case len(cmd.Data) == 2 && uint16(cmd.Data[0])<<8|uint16(cmd.Data[1]) == mfFID:
		return nil, apdu.SWFileNotFound
	case len(cmd.Data) != 0 || c.app == AppNone:
		return nil, apdu.SWIncorrectP1P2
	}
	return nil, apdu.SWOK
}
