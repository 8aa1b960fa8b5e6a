package profile

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/pki"
)

// Persona is a fictional card holder: what is printed on the card and the
// secrets the holder chose. A persona file is its JSON form, with PINs in
// clear so a user can edit them.
type Persona struct {
	emulator.Holder
	AuthPIN      string `json:"auth_pin"`      // JPKI 利用者証明用 (4 digits)
	SignPassword string `json:"sign_password"` // JPKI 署名用 (6–16 of A–Z, 0–9)
	TextPIN      string `json:"text_pin"`      // 券面事項入力補助用 (4 digits)
	JukiPIN      string `json:"juki_pin"`      // 住民基本台帳用 (4 digits)
	CommonPIN    string `json:"common_pin"`    // 共通カードAP (4 digits)
	// Chip is the chip generation (see Chips); empty means DefaultChip.
	Chip Chip `json:"chip,omitempty"`
	// IssueDate is the day the card and its certificates were issued;
	// empty means the day the card is made. Between birth_date and
	// card_expiry; an issue date long enough ago makes expired certificates.
	IssueDate time.Time `json:"issue_date,omitzero"`
}

func (p *Persona) chip() Chip {
	if p.Chip == "" {
		return DefaultChip
	}
	return p.Chip
}

// DefaultPersona is the holder of the built-in cards. Born 1980-02-17 with
// a card expiring in 2035 and security code 2285, card.md's test vector,
// so that 照合番号B is 55021720352285.
func DefaultPersona() Persona {
	return Persona{
		Holder: emulator.Holder{
			Name:             "番号　花子",
			Address:          "東京都千代田区試験町１丁目２番３号",
			BirthDate:        time.Date(1980, 2, 17, 0, 0, 0, 0, time.UTC),
			Sex:              "2",
			MyNumber:         "123456789018",
			CardExpiry:       time.Date(2035, 2, 17, 0, 0, 0, 0, time.UTC),
			SecurityCode:     "2285",
			MunicipalityCode: "13101",
			Prefecture:       "東京都",
			City:             "千代田区",
		},
		AuthPIN:      "1234",
		SignPassword: "ABC123",
		TextPIN:      "1234",
		JukiPIN:      "1234",
		CommonPIN:    "1234",
		Chip:         DefaultChip,
	}
}

// PersonaError says which persona field is wrong and why.
type PersonaError struct {
	Field  string // JSON name
	Reason string
}

func (e *PersonaError) Error() string { return "profile: persona " + e.Field + ": " + e.Reason }

// Size limits keep every record within what its EF can hold.
const (
	maxNameRunes    = 60
	maxAddressRunes = 150
)

// Validate checks every field. The error names the first bad field.
func (p *Persona) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &PersonaError{field, fmt.Sprintf(format, args...)}
	}
	for _, f := range []struct {
		field, v   string
		max        int
		substitute bool // the certificate marks substituted characters
	}{
		{"name", p.Name, maxNameRunes, true},
		{"address", p.Address, maxAddressRunes, true},
		{"prefecture", p.Prefecture, 10, false},
		{"city", p.City, 30, false},
	} {
		if err := checkText(f.v, f.max); err != nil {
			return bad(f.field, "%v", err)
		}
		if _, err := toJISX0208(f.field, f.v, f.substitute); err != nil {
			return err
		}
	}
	if _, err := p.chip().Spec(); err != nil {
		return bad("chip", "%v", err)
	}
	if err := CheckMyNumber(p.MyNumber); err != nil {
		return bad("my_number", "%v", err)
	}
	switch p.Sex {
	case "1", "2", "9":
	default:
		return bad("sex", "%q is not a JIS X 0303 code (1 male, 2 female, 9 not applicable)", p.Sex)
	}
	if p.BirthDate.IsZero() {
		return bad("birth_date", "missing")
	}
	if _, _, err := pki.JapaneseDate(p.BirthDate); err != nil {
		return bad("birth_date", "%v", err)
	}
	if p.CardExpiry.IsZero() {
		return bad("card_expiry", "missing")
	}
	if y := p.CardExpiry.Year(); y > 9999 || !p.CardExpiry.After(p.BirthDate) {
		return bad("card_expiry", "%s must be after the birth date and within year 9999", p.CardExpiry.Format(time.DateOnly))
	}
	// Dates in order: birth, issue, expiry.
	if d := p.IssueDate; !d.IsZero() && (d.Before(p.BirthDate) || !d.Before(p.CardExpiry)) {
		return bad("issue_date", "%s must be on or after the birth date (%s) and before the card expiry (%s)",
			d.Format(time.DateOnly), p.BirthDate.Format(time.DateOnly), p.CardExpiry.Format(time.DateOnly))
	}
	for _, f := range []struct {
		field, v string
		n        int
	}{{"security_code", p.SecurityCode, 4}} {
		if !digits(f.v, f.n) {
			return bad(f.field, "%q is not %d digits", f.v, f.n)
		}
	}
	if err := CheckMunicipalityCode(p.MunicipalityCode); err != nil {
		return bad("municipality_code", "%v", err)
	}
	for _, f := range []struct {
		field string
		ref   emulator.FileRef
		v     string
	}{
		{"auth_pin", emulator.JPKIAuthPIN, p.AuthPIN},
		{"sign_password", emulator.JPKISignPassword, p.SignPassword},
		{"text_pin", emulator.TextPIN, p.TextPIN},
		{"juki_pin", emulator.JukiPIN, p.JukiPIN},
		{"common_pin", emulator.CommonPIN, p.CommonPIN},
	} {
		// The emulator's message could quote the value; only the rule is kept.
		if emulator.ValidatePIN(f.ref, []byte(f.v)) != nil {
			return bad(f.field, "wrong format: want %s", pinRule(f.ref))
		}
	}
	return nil
}

func pinRule(ref emulator.FileRef) string {
	if ref == emulator.JPKISignPassword {
		return "6–16 characters A–Z, 0–9"
	}
	return "4 digits"
}

func checkText(s string, max int) error {
	switch {
	case s == "":
		return errors.New("missing")
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return fmt.Errorf("%d characters, at most %d", utf8.RuneCountInString(s), max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return errors.New("contains a control character")
	}
	return nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// MyNumberCheckDigit computes the check digit of the first eleven digits of
// a 個人番号 (総務省令 第八十五号 第五条): with Pn the n-th digit counted
// from the right and Qn = n+1 for n ≤ 6, n−5 for n ≥ 7, the check digit is
// 11 − (ΣPn×Qn mod 11), or 0 when that remainder is 0 or 1.
func MyNumberCheckDigit(first11 string) (byte, error) {
	if !digits(first11, 11) {
		return 0, fmt.Errorf("%q is not 11 digits", first11)
	}
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(first11[11-n] - '0')
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += p * q
	}
	r := sum % 11
	if r <= 1 {
		return '0', nil
	}
	return byte('0' + 11 - r), nil
}

// CheckMyNumber checks a 個人番号: 12 ASCII digits whose last is the check
// digit of the other eleven.
func CheckMyNumber(s string) error {
	if !digits(s, 12) {
		return fmt.Errorf("%d characters, want 12 digits", len(s))
	}
	want, _ := MyNumberCheckDigit(s[:11])
	if s[11] != want {
		return fmt.Errorf("check digit is %c, want %c", s[11], want)
	}
	return nil
}

// MunicipalityCheckDigit is the sixth digit of a 全国地方公共団体コード
// (JIS X 0401/0402, 総務省): with weights 6, 5, 4, 3, 2 on the five
// digits, 11 − (sum mod 11), keeping only its last digit (so a remainder
// of 0 gives 1 and of 1 gives 0). 13101 (千代田区) → 131016.
func MunicipalityCheckDigit(first5 string) (byte, error) {
	if !digits(first5, 5) {
		return 0, fmt.Errorf("%q is not 5 digits", first5)
	}
	sum := 0
	for i := 0; i < 5; i++ {
		sum += int(first5[i]-'0') * (6 - i)
	}
	return byte('0' + (11-sum%11)%10), nil
}

// CheckMunicipalityCode accepts the five digits the card stores (card.md
// §4.3 DF34, §4.5), whose first two name one of the 47 prefectures, or
// the six-digit form whose last digit is the check digit.
func CheckMunicipalityCode(s string) error {
	switch {
	case digits(s, 6):
		want, _ := MunicipalityCheckDigit(s[:5])
		if s[5] != want {
			return fmt.Errorf("check digit of %s is %c, want %c", s, s[5], want)
		}
	case !digits(s, 5):
		return fmt.Errorf("%q is not 5 digits (or 6 with the check digit)", s)
	}
	if pref := int(s[0]-'0')*10 + int(s[1]-'0'); pref < 1 || pref > 47 {
		return fmt.Errorf("%s: prefecture code %02d is not 01–47", s, pref)
	}
	return nil
}
