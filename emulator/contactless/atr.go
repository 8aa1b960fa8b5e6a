// Package contactless is a PC/SC part 3 reader in front of an ISO/IEC
// 14443 Type B card: the ATR it builds from the card's ATQB, the PUPI the
// card draws afresh at each activation, and the reader's own GET UID
// pseudo-APDU (card.md §1.2). The card's commands pass through unchanged.
package contactless

import (
	"fmt"
	"slices"
)

// ATQB is what a Type B card answers REQB/WUPB with (ISO/IEC 14443-3),
// less the PUPI, which the card draws at random on each activation, and
// with the MBLI of its answer to ATTRIB, which the reader also reports.
type ATQB struct {
	AppData      [4]byte
	ProtocolInfo [3]byte
	MBLI         byte // 0–15; 0 means the card states no limit
}

// Style is how a reader turns the ATQB into an ATR.
type Style string

const (
	// Part3 is PC/SC part 3: 3B 88 80 01, application data, protocol info,
	// MBLI in the high nibble of the last historical byte, TCK. It holds no
	// PUPI, so one chip always shows the same ATR: the ATRs of card.md §1.2.
	Part3 Style = "part3"
	// WholeATQB puts the whole ATQB (50, PUPI, application data, protocol
	// info) in 12 historical bytes, as the readers behind pcsc-tools'
	// "3B 8C 80 01 50 .. .. .. .." entries do; the ATR changes every tap.
	WholeATQB Style = "atqb"
)

// Styles are the styles a reader can have, the default first.
var Styles = []Style{Part3, WholeATQB}

// String is the style's name, as --reader-style takes it.
func (s Style) String() string { return string(s) }

// Set reads a style's name, so that a Style is a flag.Value.
func (s *Style) Set(name string) error {
	if !slices.Contains(Styles, Style(name)) {
		return fmt.Errorf("want %s or %s", Part3, WholeATQB)
	}
	*s = Style(name)
	return nil
}

// atqbHeader is the first byte of every ATQB (ISO/IEC 14443-3).
const atqbHeader = 0x50

// ATR is the ATR a reader of style s reports for the card answering q
// with PUPI pupi. An unknown style is read as Part3.
func (q ATQB) ATR(s Style, pupi [4]byte) []byte {
	var hist []byte
	if s == WholeATQB {
		hist = append([]byte{atqbHeader}, pupi[:]...)
		hist = append(append(hist, q.AppData[:]...), q.ProtocolInfo[:]...)
	} else {
		hist = append(append(q.AppData[:0:0], q.AppData[:]...), q.ProtocolInfo[:]...)
		hist = append(hist, q.MBLI<<4)
	}
	// TS, T0 (TD1 present, K historical bytes), TD1 (T=0, TD2 present),
	// TD2 (T=1): the fixed frame PC/SC part 3 gives every contactless ATR.
	atr := append([]byte{0x3B, 0x80 | byte(len(hist)), 0x80, 0x01}, hist...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}
