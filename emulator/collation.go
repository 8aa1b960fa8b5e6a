package emulator

import (
	"errors"
	"fmt"
	"time"

	"github.com/mynacard/mynacard/emulator/pki"
)

// The 照合番号 keys hold no value the holder chose: card.md §7.1 and §7.3
// derive each from what is printed on the card, so a card's own data fixes
// them and a municipal unblock can only restore that value.

// BirthDateKey is the visual AP's birth-date key (EF 0011): the birth date
// as 和暦 YYMMDD (card.md §7.1).
func BirthDateKey(birth time.Time) (string, error) {
	_, y, err := pki.JapaneseDate(birth)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%02d%02d%02d", y%100, birth.Month(), birth.Day()), nil
}

// CollationB is 照合番号B (card.md §7.3): the birth date as 和暦 YYMMDD, the
// Gregorian expiry year and the security code printed under the photo.
func CollationB(birth, expiry time.Time, securityCode string) (string, error) {
	dob, err := BirthDateKey(birth)
	if err != nil {
		return "", err
	}
	// The security code has the 4-digit PINs' format.
	if ValidatePIN(TextPIN, []byte(securityCode)) != nil {
		return "", errors.New("security code is not 4 digits")
	}
	return fmt.Sprintf("%s%04d%s", dob, expiry.Year(), securityCode), nil
}

// impliedKeys says, per key reference, how the holder data fixes its value.
var impliedKeys = map[FileRef]struct {
	rule  string
	value func(Holder) (string, error)
}{
	TextPINA:     {"照合番号A is the My Number", holderMyNumber},
	VisualPINA:   {"照合番号A is the My Number", holderMyNumber},
	TextPINB:     {"照合番号B is the 和暦 birth date YYMMDD, the expiry year and the security code", holderCollationB},
	VisualPINB:   {"照合番号B is the 和暦 birth date YYMMDD, the expiry year and the security code", holderCollationB},
	VisualDOBKey: {"the birth-date key is the 和暦 birth date YYMMDD", holderBirthDateKey},
}

func holderMyNumber(h Holder) (string, error) { return h.MyNumber, nil }
func holderCollationB(h Holder) (string, error) {
	return CollationB(h.BirthDate, h.CardExpiry, h.SecurityCode)
}
func holderBirthDateKey(h Holder) (string, error) { return BirthDateKey(h.BirthDate) }

// ImpliedSecret is the value of key ref that h implies: the My Number for
// 照合番号A (text 0014, visual 0013), 照合番号B for text 0015 and visual
// 0012, the 和暦 birth date for visual 0011. ok is false for keys whose
// value the holder chooses.
func (h Holder) ImpliedSecret(ref FileRef) (v Secret, ok bool, err error) {
	d, ok := impliedKeys[ref]
	if !ok {
		return nil, false, nil
	}
	s, err := d.value(h)
	if err == nil {
		err = ValidatePIN(ref, []byte(s))
	}
	if err != nil {
		return nil, true, fmt.Errorf("emulator: the holder data gives no value for %v: %w", ref, err)
	}
	return Secret(s), true, nil
}
