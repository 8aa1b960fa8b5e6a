package profile

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"image"
	"image/color"
	"image/png"
)

// Card images. The card stores the name, address, security code and My
// Number as 1-bit PNGs and the photo as greyscale JPEG 2000 (card.md §4.3).
// Text is drawn with a tiny built-in font: real glyphs for digits
// and dashes, a box with a pattern derived from the character for anything
// else (kanji, kana), which keeps images small, deterministic and
// distinguishable without embedding a CJK font.

var digitGlyphs = [10][7]byte{
	{0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},
	{0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
	{0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},
	{0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
	{0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},
	{0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
	{0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},
	{0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
	{0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},
	{0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
}

var bw = color.Palette{color.White, color.Black}

const (
	cellH       = 12 // every glyph cell is 12 pixels high
	narrowW     = 6  // ASCII digits: the My Number image is 72×12, the code 24×12
	wideW       = 12 // full-width characters
	lineRunes   = 20 // address lines wrap here
	blackIndex  = 1
	glyphTop    = 2
	glyphInset  = 1
	boxInterior = 8
)

// textImage renders s as black on white, one line per lineRunes characters.
func textImage(s string) []byte {
	var lines [][]rune
	rs := []rune(s)
	for len(rs) > lineRunes {
		lines = append(lines, rs[:lineRunes])
		rs = rs[lineRunes:]
	}
	lines = append(lines, rs)
	w := 1
	for _, l := range lines {
		w = max(w, lineWidth(l))
	}
	img := image.NewPaletted(image.Rect(0, 0, w, cellH*len(lines)), bw)
	for i, l := range lines {
		x := 0
		for _, r := range l {
			x += drawRune(img, x, i*cellH, r)
		}
	}
	return encodePNG(img)
}

func lineWidth(l []rune) int {
	w := 0
	for _, r := range l {
		w += runeWidth(r)
	}
	return w
}

func runeWidth(r rune) int {
	if r < 0x80 {
		return narrowW
	}
	return wideW
}

// drawRune draws r with its top-left corner at x, y and returns its width.
func drawRune(img *image.Paletted, x, y int, r rune) int {
	w := runeWidth(r)
	switch {
	case r == ' ' || r == '\u3000':
	case r >= '0' && r <= '9':
		drawDigit(img, x, y, r-'0')
	case r >= '０' && r <= '９':
		drawDigit(img, x+3, y, r-'０')
	case r == '-' || r == '－' || r == 'ー' || r == '‐':
		for i := 1; i < w-1; i++ {
			img.SetColorIndex(x+i, y+cellH/2, blackIndex)
		}
	default:
		drawBox(img, x, y, r)
	}
	return w
}

func drawDigit(img *image.Paletted, x, y int, d rune) {
	for row, bits := range digitGlyphs[d] {
		for col := 0; col < 5; col++ {
			if bits&(0x10>>col) != 0 {
				img.SetColorIndex(x+col, y+glyphTop+row, blackIndex)
			}
		}
	}
}

// drawBox draws a frame whose interior pattern comes from a hash of r, so
// different characters look different and the same one looks the same.
func drawBox(img *image.Paletted, x, y int, r rune) {
	h := sha256.Sum256([]byte(string(r)))
	for i := 0; i < boxInterior+2; i++ {
		for _, p := range [][2]int{{i, 0}, {i, boxInterior + 1}, {0, i}, {boxInterior + 1, i}} {
			img.SetColorIndex(x+glyphInset+p[0], y+glyphInset+p[1], blackIndex)
		}
	}
	for i := 0; i < boxInterior*boxInterior; i++ {
		if h[i/8]&(1<<(i%8)) != 0 {
			img.SetColorIndex(x+glyphInset+1+i%boxInterior, y+glyphInset+1+i/boxInterior, blackIndex)
		}
	}
}

// facePhoto is the photo every generated card carries in DF27: greyscale
// JPEG 2000 in a JP2 container, as on the real card. It is drawn and
// encoded once by internal/genface (Go cannot write JPEG 2000) and shared
// by all holders.
//
//go:generate go run ./internal/genface -o data/face.jp2
//go:embed data/face.jp2
var facePhoto []byte

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory image to a buffer cannot fail
	}
	return b.Bytes()
}
