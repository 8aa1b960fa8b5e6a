package conformance

import (
	"bytes"
	"fmt"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// walkDataObject is one GET DATA object of card.md §2 as the walk asks for it.
type walkDataObject struct {
	tag emulator.DataTag
	// large objects refuse a short Le with 67 00 and need an extended one.
	large bool
	// absent: the object may be missing (6A 88) at MF level: 7F21 on older
	// cards, 5F51 on cards that answer it only inside an AP (card.md §12).
	absent bool
	// digits is the number of ASCII digits the object is, or 0.
	digits int
}

var walkDataObjects = []walkDataObject{
	{tag: emulator.TagIssuerID},
	{tag: emulator.TagCardID},
	{tag: emulator.TagCardRecognition},
	{tag: emulator.TagMunicipality, digits: 5},
	{tag: emulator.TagExpiry, digits: 8},
	{tag: emulator.TagIntermediateKeyID},
	{tag: emulator.TagCVCertRoot, large: true},
	{tag: emulator.TagCVCertIntermediate, large: true, absent: true},
	{tag: emulator.TagATR, absent: true},
}

// getData asks for one object, with Le 00 or an extended Le, and checks
// the answer against card.md §2: the MF-level objects only with no AP
// selected (6A 88 inside one, except 5F51), the large ones refusing a short
// Le, digits where the object is digits, and the same bytes every time.
// GET DATA selects nothing, so the walk's picture of the session stays.
func (w *walker) getData() string {
	o := walkDataObjects[w.pick(len(walkDataObjects))]
	extended := w.pick(2) == 0
	c := apdu.GetData(uint16(o.tag), apdu.MaxShortNe)
	if extended {
		c.Ne, c.Extended = apdu.MaxExtendedNe, true
	}
	what := fmt.Sprintf("GET DATA %s (Le %s) in %s", o.tag, leName(extended), w.app)
	var want []apdu.SW
	switch {
	case w.app != emulator.AppNone && o.tag != emulator.TagATR:
		want = []apdu.SW{apdu.SWDataNotFound}
	case w.app != emulator.AppNone:
		want = []apdu.SW{apdu.SWOK}
	case o.large && !extended:
		want = []apdu.SW{apdu.SWWrongLength}
	default:
		want = []apdu.SW{apdu.SWOK}
	}
	if o.absent && w.app == emulator.AppNone {
		want = append(want, apdu.SWDataNotFound)
	}
	r := w.expect(what, c, want...)
	if r.SW != apdu.SWOK {
		return "get-data " + o.tag.String()
	}
	if o.digits > 0 && !digits(r.Data, o.digits) {
		w.t.Errorf("%s: % X is not %d ASCII digits (card.md §2)", what, r.Data, o.digits)
	}
	if first, ok := w.objects[o.tag]; !ok {
		w.objects[o.tag] = r.Data
	} else if !bytes.Equal(first, r.Data) {
		w.t.Errorf("%s: % X, but earlier % X", what, r.Data, first)
	}
	return "get-data " + o.tag.String()
}

func leName(extended bool) string {
	if extended {
		return "00 00 00"
	}
	return "00"
}
