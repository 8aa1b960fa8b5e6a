package profile

import (
	"fmt"

	"golang.org/x/text/encoding/japanese"
)

// inJISX0208 reports whether r is a character of JIS X 0208, the set the
// sign certificate's name and address are written in (card.md §10: a
// character outside it is replaced and its position marked).
//
// EUC-JP writes JIS X 0208 as two bytes A1–FE. The WHATWG table behind
// x/text's encoder also fills NEC row 13 (①, Ⅰ, ㈱) and the IBM and
// NEC-selected IBM extensions in rows 89–92 and 115–119 (髙, 﨑), which the
// standard leaves empty: only rows 1–8 and 16–84 are JIS X 0208. ASCII,
// half-width katakana (8E xx) and JIS X 0212 (8F xx xx) are outside it.
func inJISX0208(r rune) bool {
	b, err := japanese.EUCJP.NewEncoder().Bytes([]byte(string(r)))
	if err != nil || len(b) != 2 || b[0] < 0xA1 {
		return false
	}
	row := int(b[0]) - 0xA0
	return row <= 8 || row >= 16 && row <= 84
}

// substitutes maps variant kanji that people write in their registered
// names but JIS X 0208 lacks to the JIS X 0208 form a certificate carries
// in their place (代替文字). Keys are escaped: several are compatibility
// ideographs, which editors and tools normalise into their substitute.
var substitutes = map[rune]rune{
	'\u9AD9':     '高', // 髙 はしご高, IBM extension
	'\uFA11':     '崎', // 﨑 たつさき, IBM extension
	'\U00020BB7': '吉', // 𠮷 つちよし, outside the BMP
	'\u5FB7':     '徳', // 德, IBM extension
	'\u6801':     '柳', // 栁, JIS X 0212
	'\u6FF5':     '浜', // 濵, JIS X 0212
	'\uFA10':     '塚', // IBM extension
	'\uF9DC':     '隆', // IBM extension
	'\uFA19':     '神', // IBM extension
	'\uFA1B':     '福', // IBM extension
}

// jisText is a persona field as the sign certificate carries it: every
// character in JIS X 0208, and the 0-based positions of the characters
// that stand in for one outside it.
type jisText struct {
	text        string
	substituted []int
}

// toJISX0208 checks a persona field against JIS X 0208. With substitute
// (the name and address, which have a substitute-position field) a known
// variant is replaced; any other character outside the set is an error
// naming the field and the character.
func toJISX0208(field, s string, substitute bool) (jisText, error) {
	var out jisText
	runes := []rune(s)
	for i, r := range runes {
		if inJISX0208(r) {
			continue
		}
		if sub, ok := substitutes[r]; ok && substitute {
			runes[i] = sub
			out.substituted = append(out.substituted, i)
			continue
		}
		hint := "has no substitute"
		if r < 0x80 || r >= 0xFF61 && r <= 0xFF9F {
			hint = "write it full-width"
		}
		return jisText{}, &PersonaError{field, fmt.Sprintf("character %d %q (U+%04X) is not in JIS X 0208, the card's character set; %s", i+1, r, r, hint)}
	}
	out.text = string(runes)
	return out, nil
}
