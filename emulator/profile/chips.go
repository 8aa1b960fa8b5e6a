package profile

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/contactless"
)

// Chip names a chip generation: the ATR a reader shows for it and what the
// chip declares about itself (card.md §1.1, §1.2, §12). The names follow
// OpenSC's minidriver table, where "JPKI" is the first entry and
// "JPKI (02)" … "JPKI (09)" the others; docs/chips.md gives the sources.
type Chip string

// Interface is how a reader talks to the chip.
type Interface string

const (
	Contact     Interface = "contact"
	Contactless Interface = "contactless" // ISO/IEC 14443 Type B via a PC/SC part 3 reader
)

// ChipSpec is one preset.
type ChipSpec struct {
	Name      Chip
	Interface Interface
	// ATR is what the reader reports: the chip's own contact ATR, or for
	// a contactless chip the ATR a PC/SC part 3 reader builds from ATQB.
	ATR []byte
	// ATQB is what a contactless chip answers REQB with (its PUPI is
	// drawn per activation); nil for a contact chip.
	ATQB *contactless.ATQB
	// Stores names the contact chip whose ATR this contactless chip keeps
	// for GET DATA 5F51; empty for a contact chip, which stores its own.
	Stores Chip
	Source string
}

// DefaultChip is the generation cards issued in the 2020s present on a
// contact reader (docs/chips.md): seen on a card received in 2024 and on
// one from 2019, and listed as "My Number Card" by pcsc-tools.
const DefaultChip Chip = "jpki-02"

func hexATR(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err) // the table below is constant
	}
	return b
}

// typeB is a contactless preset: the ATR is what a PC/SC part 3 reader
// builds from the ATQB (card.md §1.2), so the table keeps the ATQB and
// derives the ATR; TestContactlessATRs checks it against the observed
// bytes.
func typeB(name Chip, appData [4]byte, protocolInfo [3]byte, stores Chip, source string) ChipSpec {
	q := &contactless.ATQB{AppData: appData, ProtocolInfo: protocolInfo}
	return ChipSpec{Name: name, Interface: Contactless, ATR: q.ATR(contactless.Part3, [4]byte{}), ATQB: q, Stores: stores, Source: source}
}

var chipSpecs = []ChipSpec{
	{"jpki-01", Contact, hexATR("3B E0 00 FF 81 31 FE 45 14"), nil, "", "OpenSC card-jpki.c (2016), minidriver \"JPKI\"; myna-card's contact test"},
	{"jpki-02", Contact, hexATR("3B DA 13 FF 81 31 FB 46 80 12 39 2F 31 C1 73 C6 01 C0 3B"), nil, "", "OpenSC issue #3021 (card received 2024), minidriver \"JPKI (02)\"; pcsc-tools"},
	{"jpki-03", Contact, hexATR("3B C5 FF 81 31 FB 45 80 73 C6 01 00 00"), nil, "", "pcsc-tools; minidriver \"JPKI (03)\"; jpki/myna issue #12"},
	{"jpki-04", Contact, hexATR("3B F5 91 00 FF 91 81 71 FE 40 00 42 00 01 00 D1 D6"), nil, "", "pcsc-tools; minidriver \"JPKI (04)\""},
	{"jpki-05", Contact, hexATR("3B F5 91 00 FF 91 81 71 FE 40 00 42 00 01 B3 A1 15"), nil, "", "pcsc-tools; minidriver \"JPKI (05)\""},
	typeB("jpki-06", [4]byte{0x00, 0x00, 0x05, 0xE0}, [3]byte{0xB3, 0x81, 0xA1}, "jpki-05", "pcsc-tools; minidriver \"JPKI (06)\""),
	typeB("jpki-07", [4]byte{0x00, 0x00, 0x41, 0xE0}, [3]byte{0xB3, 0x81, 0xA1}, "jpki-05", "pcsc-tools; minidriver \"JPKI (07)\""),
	typeB("jpki-08", [4]byte{0x00, 0x4B, 0x51, 0xFF}, [3]byte{0x00, 0x81, 0xD1}, "jpki-04", "minidriver \"JPKI (08)\""),
	typeB("jpki-09", [4]byte{0x00, 0x4B, 0x51, 0xFF}, [3]byte{0xB3, 0x81, 0xD1}, "jpki-04", "pcsc-tools; minidriver \"JPKI (09)\""),
}

// Chips lists the presets in the order of card.md §1.1 then §1.2.
func Chips() []ChipSpec {
	out := make([]ChipSpec, len(chipSpecs))
	for i, c := range chipSpecs {
		out[i] = c.clone()
	}
	return out
}

// clone copies what a caller could change through the preset table.
func (s ChipSpec) clone() ChipSpec {
	s.ATR = bytes.Clone(s.ATR)
	if s.ATQB != nil {
		q := *s.ATQB
		s.ATQB = &q
	}
	return s
}

// Spec returns the preset named c, or an error naming the known ones.
func (c Chip) Spec() (ChipSpec, error) {
	for _, s := range chipSpecs {
		if s.Name == c {
			return s.clone(), nil
		}
	}
	names := make([]string, len(chipSpecs))
	for i, s := range chipSpecs {
		names[i] = string(s.Name)
	}
	return ChipSpec{}, fmt.Errorf("unknown chip %q (want one of %s)", string(c), strings.Join(names, ", "))
}

// StoredATR is the contact ATR the chip keeps (GET DATA 5F51 answers it
// without TS). For a contactless chip it is the contact chip whose
// historical bytes repeat the ATQB protocol bytes of this one: the
// pairing is inferred, UNCERTAIN (docs/chips.md).
func (s ChipSpec) StoredATR() []byte {
	if s.Stores == "" {
		return bytes.Clone(s.ATR)
	}
	c, _ := s.Stores.Spec()
	return c.ATR
}

// ExtendedLength is what a chip's stored ATR declares about extended Lc/Le
// in its card capabilities (ISO 7816-4 §8.1.1.2.7, third software-function
// byte, b7).
type ExtendedLength string

const (
	ExtendedDeclared    ExtendedLength = "declared"
	ExtendedNotDeclared ExtendedLength = "not declared"
	// ExtendedUnknown: no card-capabilities object (no historical bytes,
	// or proprietary ones): card.md §14.7 leaves it UNCERTAIN.
	ExtendedUnknown ExtendedLength = "unknown"
)

// ExtendedLength reads the capability bytes of the stored ATR.
func (s ChipSpec) ExtendedLength() ExtendedLength {
	hist, err := HistoricalBytes(s.StoredATR())
	if err != nil || len(hist) == 0 || hist[0] != 0x80 {
		return ExtendedUnknown
	}
	// Category 80: compact-TLV objects to the end; tag 7 = card capabilities.
	for b := hist[1:]; len(b) > 0; {
		tag, n := b[0]>>4, int(b[0]&0x0F)
		if len(b) < 1+n {
			break
		}
		if tag == 7 && n >= 3 {
			if b[3]&0x40 != 0 {
				return ExtendedDeclared
			}
			return ExtendedNotDeclared
		}
		b = b[1+n:]
	}
	return ExtendedUnknown
}

// HistoricalBytes parses an ATR per ISO 7816-3 §8.2 and returns its
// historical bytes, checking the length and, when a protocol other than
// T=0 is offered, that TCK makes the XOR of T0…TCK zero.
func HistoricalBytes(atr []byte) ([]byte, error) {
	if len(atr) < 2 || atr[0] != 0x3B && atr[0] != 0x3F {
		return nil, errors.New("ATR does not start with TS 3B or 3F")
	}
	k := int(atr[1] & 0x0F)
	y := atr[1] >> 4
	i := 2
	tck := false
	for {
		for bit := byte(1); bit <= 4; bit <<= 1 {
			if y&bit != 0 {
				i++
			}
		}
		if y&8 == 0 {
			break
		}
		if i >= len(atr) {
			return nil, errors.New("ATR ends inside its interface bytes")
		}
		td := atr[i]
		i++
		if td&0x0F != 0 {
			tck = true
		}
		y = td >> 4
	}
	end := i + k
	if tck {
		end++
	}
	if end != len(atr) {
		return nil, fmt.Errorf("ATR is %d bytes, its T0 and TDi say %d", len(atr), end)
	}
	if tck {
		var x byte
		for _, b := range atr[1:] {
			x ^= b
		}
		if x != 0 {
			return nil, fmt.Errorf("TCK %02X is wrong: want %02X", atr[len(atr)-1], atr[len(atr)-1]^x)
		}
	}
	return atr[i : i+k], nil
}

// DefaultWithChip is Default(k) made to present chip c (SetChip); ""
// keeps the default persona's chip.
func DefaultWithChip(k emulator.Kind, c Chip) (*emulator.State, error) {
	s, err := Default(k)
	if err != nil || c == "" {
		return s, err
	}
	if err := SetChip(s, c); err != nil {
		return nil, err
	}
	return s, nil
}

// SetChip makes s present chip c: the ATR a reader shows, the ATR GET
// DATA 5F51 answers, and extended-length READ BINARY as the capability
// bytes declare it (the default setting where they say nothing).
func SetChip(s *emulator.State, c Chip) error {
	spec, err := c.Spec()
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	s.Chip = string(spec.Name)
	s.ATR = spec.ATR
	s.StoredATR = nil
	if spec.Stores != "" {
		s.StoredATR = spec.StoredATR()
	}
	switch spec.ExtendedLength() {
	case ExtendedDeclared:
		s.Settings.ExtendedReadBinary = true
	case ExtendedNotDeclared:
		s.Settings.ExtendedReadBinary = false
	default:
		s.Settings.ExtendedReadBinary = emulator.DefaultSettings().ExtendedReadBinary
	}
	return nil
}

// Present puts a served card in the reader its chip is read through: for
// a contactless chip a contactless reader of style s (package
// contactless), which builds the ATR from the ATQB, draws a PUPI per
// activation from crypto/rand and answers GET UID; a contact chip, or a
// card file naming no chip, is served as it is.
func Present(st *emulator.State, c contactless.Card, s contactless.Style) contactless.Card {
	spec, err := Chip(st.Chip).Spec()
	if err != nil || spec.ATQB == nil {
		return c
	}
	return contactless.NewReader(c, *spec.ATQB, s, rand.Reader)
}
