package emulator

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/mynacard/mynacard/apdu"
)

// GET DATA, a card-level command (card.md §2).

// DataTag is a GET DATA object's tag, P1 P2 of the command. Its text form,
// a card file's key under "data_objects", is four hex digits ("7F21").
type DataTag uint16

// The MF-level objects of card.md §2.
const (
	TagIssuerID           DataTag = 0x0042 // issuer identification number, a 16-byte key identifier
	TagCardID             DataTag = 0x0045 // card identification number, ASCII
	TagCardRecognition    DataTag = 0x0066 // GlobalPlatform card recognition data
	TagMunicipality       DataTag = 0x00F0 // 5 ASCII digits, from Holder
	TagExpiry             DataTag = 0x00F2 // YYYYMMDD, from Holder
	TagIntermediateKeyID  DataTag = 0x00F7 // key identifier of the CA that signs 7F21
	TagCVCertRoot         DataTag = 0x00F8 // CV certificate: root → intermediate
	TagCVCertIntermediate DataTag = 0x7F21 // CV certificate: intermediate → the key below
	TagATR                DataTag = 0x5F51 // contact ATR without TS, from ATR/StoredATR
)

// storedTags are the objects a card file holds; the others derive from
// the holder and the ATR, so they cannot disagree with them.
var storedTags = [...]DataTag{TagIssuerID, TagCardID, TagCardRecognition, TagIntermediateKeyID, TagCVCertRoot, TagCVCertIntermediate}

// maxDataObject is the most an extended Le asks for.
const maxDataObject = 65536

func (t DataTag) String() string { return fmt.Sprintf("%04X", uint16(t)) }

func (t DataTag) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t *DataTag) UnmarshalText(b []byte) error {
	n, err := strconv.ParseUint(string(b), 16, 16)
	if err != nil || len(b) != 4 {
		return fmt.Errorf("emulator: data object tag %q: want 4 hex digits, e.g. 7F21", b)
	}
	*t = DataTag(n)
	return nil
}

func validDataObjects(objects map[DataTag][]byte) error {
	for t, v := range objects {
		switch {
		case !slices.Contains(storedTags[:], t):
			return fmt.Errorf("data_objects %v: not one a card file holds (want one of %v)", t, storedTags)
		case len(v) == 0 || len(v) > maxDataObject:
			return fmt.Errorf("data_objects %v: %d bytes, want 1..%d", t, len(v), maxDataObject)
		}
	}
	return nil
}

// getData implements 00 CA P1 P2 Le at card level. Inside an application
// only the stored ATR answers, as on the cards that answer 5F51 there. An
// Le too short for the object is refused (the table marks it whole): the
// CV certificates, longer than 256 bytes, refuse every short Le with 67 00
// and need an extended one, as card.md §2 records.
func (c *Card) getData(cmd apdu.Command) ([]byte, apdu.SW) {
	tag := DataTag(uint16(cmd.P1)<<8 | uint16(cmd.P2))
	if c.app != AppNone && tag != TagATR {
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

func (c *Card) dataObject(tag DataTag) []byte {
	s := c.state
	switch tag {
	case TagATR:
		if len(s.StoredATR) > 1 {
			return s.StoredATR[1:]
		}
		if len(s.ATR) > 1 {
			return s.ATR[1:]
		}
	case TagMunicipality:
		if s.Holder.MunicipalityCode != "" {
			return []byte(s.Holder.MunicipalityCode)
		}
	case TagExpiry:
		if !s.Holder.CardExpiry.IsZero() {
			return []byte(s.Holder.CardExpiry.Format("20060102"))
		}
	default:
		return s.DataObjects[tag]
	}
	return nil
}
