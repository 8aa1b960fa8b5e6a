package emulator

import (
	"io"

	"github.com/mynacard/mynacard/apdu"
)

// Card-level commands (card.md §2): GET DATA and GET CHALLENGE.

// Data objects GET DATA serves (P1 P2 = tag).
const (
	tagATR          = 0x5F51 // contact ATR without TS
	tagMunicipality = 0x00F0 // 5 ASCII digits
	tagExpiry       = 0x00F2 // YYYYMMDD
)

// getData implements 00 CA P1 P2 Le at card level. Inside an application
// only the stored ATR answers, as on the cards that answer 5F51 there.
func (c *Card) getData(cmd apdu.Command) []byte {
	tag := uint16(cmd.P1)<<8 | uint16(cmd.P2)
	if c.app != AppNone && tag != tagATR {
		return status(apdu.SWDataNotFound)
	}
	v := c.dataObject(tag)
	switch {
	case v == nil:
		return status(apdu.SWDataNotFound)
	case len(cmd.Data) != 0 || cmd.Ne < len(v):
		return status(apdu.SWWrongLength)
	}
	return withSW(v, apdu.SWOK)
}

func (c *Card) dataObject(tag uint16) []byte {
	s := c.state
	switch tag {
	case tagATR:
		if len(s.ATR) > 1 {
			return s.ATR[1:]
		}
	case tagMunicipality:
		if s.Holder.MunicipalityCode != "" {
			return []byte(s.Holder.MunicipalityCode)
		}
	case tagExpiry:
		if !s.Holder.CardExpiry.IsZero() {
			return []byte(s.Holder.CardExpiry.Format("20060102"))
		}
	}
	return nil
}

// getChallenge implements 00 84 00 00 Le: exactly Le random bytes; the
// extended form is refused with 6985.
func (c *Card) getChallenge(cmd apdu.Command) []byte {
	switch {
	case cmd.P1 != 0 || cmd.P2 != 0:
		return status(apdu.SWIncorrectP1P2)
	case cmd.Extended:
		return status(apdu.SWConditionsNotMet)
	case len(cmd.Data) != 0 || cmd.Ne == 0:
		return status(apdu.SWWrongLength)
	}
	out := make([]byte, cmd.Ne+2)
	if _, err := io.ReadFull(c.rand, out[:cmd.Ne]); err != nil {
		return status(apdu.SWUnknown)
	}
	out[cmd.Ne], out[cmd.Ne+1] = 0x90, 0x00
	return out
}
