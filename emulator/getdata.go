package emulator

import (
	"github.com/mynacard/mynacard/apdu"
)

// GET DATA, a card-level command (card.md §2).

// Data objects GET DATA serves (P1 P2 = tag).
const (
	tagATR          = 0x5F51 // contact ATR without TS
	tagMunicipality = 0x00F0 // 5 ASCII digits
	tagExpiry       = 0x00F2 // YYYYMMDD
)

// getData implements 00 CA P1 P2 Le at card level. Inside an application
// only the stored ATR answers, as on the cards that answer 5F51 there. An
// Le too short for the object is refused (the table marks it whole).
func (c *Card) getData(cmd apdu.Command) ([]byte, apdu.SW) {
	tag := uint16(cmd.P1)<<8 | uint16(cmd.P2)
	if c.app != AppNone && tag != tagATR {
		return nil, apdu.SWDataNotFound
	}
	v := c.dataObject(tag)
	switch {
	case v == nil:
		return nil, apdu.SWDataNotFound
	case len(cmd.Data) != 0:
		return nil, apdu.SWWrongLength
	}
	return v, apdu.SWOK
}

func (c *Card) dataObject(tag uint16) []byte {
	s := c.state
	switch tag {
	case tagATR:
		if len(s.StoredATR) > 1 {
			return s.StoredATR[1:]
		}
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
