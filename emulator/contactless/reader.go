package contactless

import (
	"io"
	"sync"

	"github.com/mynacard/mynacard/apdu"
)

// Card is what the reader talks to: vpcd.Card's methods.
type Card interface {
	ATR() []byte
	Transmit(cmd []byte) []byte
	Reset()
	PowerOff()
}

// Reader presents a Type B card through a contactless reader. Each power-up
// or reset activates the card anew (REQB, ATTRIB), so the card draws a new
// PUPI; the ATR and GET UID report the PUPI of the current activation.
type Reader struct {
	card  Card
	atqb  ATQB
	style Style
	rand  io.Reader

	mu   sync.Mutex
	pupi [4]byte
}

// NewReader puts card, which answers REQB with q, in a reader of style s;
// rand supplies the PUPIs (crypto/rand outside tests).
func NewReader(card Card, q ATQB, s Style, rand io.Reader) *Reader {
	r := &Reader{card: card, atqb: q, style: s, rand: rand}
	r.activate()
	return r
}

// activate draws the PUPI of a new activation. A rand that fails leaves
// the last one: the card still answers, only less randomly.
func (r *Reader) activate() {
	var p [4]byte
	if _, err := io.ReadFull(r.rand, p[:]); err != nil {
		return
	}
	r.mu.Lock()
	r.pupi = p
	r.mu.Unlock()
}

// PUPI is the card's PUPI in the current activation.
func (r *Reader) PUPI() [4]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pupi
}

// ATR is the reader's ATR for the current activation; pcscd polls it for
// presence, so it changes only on power-up or reset.
func (r *Reader) ATR() []byte { return r.atqb.ATR(r.style, r.PUPI()) }

// Reset reactivates the card: a new session and a new PUPI.
func (r *Reader) Reset() {
	r.card.Reset()
	r.activate()
}

// PowerOff takes the card out of the field; the power-up that follows
// resets it, which draws the next PUPI.
func (r *Reader) PowerOff() { r.card.PowerOff() }

// Transmit answers the reader's GET DATA pseudo-APDU (CLA FF, INS CA)
// itself and passes every other command to the card.
func (r *Reader) Transmit(cmd []byte) []byte {
	if len(cmd) < 4 || cmd[0] != apdu.CLAReader || cmd[1] != apdu.INSGetData {
		return r.card.Transmit(cmd)
	}
	return r.getData(cmd).Bytes()
}

// uidLen is the length of a Type B UID: the PUPI.
const uidLen = 4

// getData follows PC/SC part 3's GET DATA: P1=00 the UID (for Type B the
// PUPI), P1=01 the ATS historical bytes, which only Type A has. Le=00 (or
// none) asks for the whole UID; a shorter Le gets 6Cxx with the length,
// a longer one the UID and 6282. The one refusal PC/SC part 3 lists, 6A81,
// answers every other P1/P2.
func (r *Reader) getData(raw []byte) apdu.Response {
	c, err := apdu.ParseCommand(raw)
	if err != nil || len(c.Data) > 0 {
		return apdu.Response{SW: apdu.SWWrongLength}
	}
	if c.P1 != 0x00 || c.P2 != 0x00 {
		return apdu.Response{SW: apdu.SWFuncNotSupported}
	}
	pupi := r.PUPI()
	switch {
	case c.Ne == 0 || c.Ne == uidLen || c.Ne == apdu.MaxShortNe && !c.Extended || c.Ne == apdu.MaxExtendedNe:
		return apdu.Response{Data: pupi[:], SW: apdu.SWOK}
	case c.Ne < uidLen:
		return apdu.Response{SW: apdu.ExactLength(uidLen)}
	default:
		return apdu.Response{Data: pupi[:], SW: apdu.SWWarnEOF}
	}
}
