package profile

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/pki"
)

func TestMyNumberCheckDigit(t *testing.T) {
	// Numbers published as valid examples, plus hand-computed edge cases
	// for remainders 1 (…060) and 0 with a non-zero sum (…2100): check digit 0.
	for _, n := range []string{"123456789018", "111111111118", "000000000000", "537686677188", "100000000005", "000000000060", "000000002100"} {
		if err := CheckMyNumber(n); err != nil {
			t.Errorf("CheckMyNumber(%s): %v", n, err)
		}
	}
	for _, n := range []string{"123456789012", "111111111111", "12345678901", "1234567890188", "12345678901a", "１２３４５６７８９０１８"} {
		if err := CheckMyNumber(n); err == nil {
			t.Errorf("CheckMyNumber(%s) accepted", n)
		}
	}
	if err := CheckMyNumber(DefaultPersona().MyNumber); err != nil {
		t.Errorf("default persona: %v", err)
	}
}

func TestPersonaValidate(t *testing.T) {
	if p := DefaultPersona(); p.Validate() != nil {
		t.Fatalf("default persona invalid: %v", p.Validate())
	}
	for _, tc := range []struct {
		field  string
		edit   func(*Persona)
		reason string
	}{
		{"name", func(p *Persona) { p.Name = "" }, "missing"},
		{"name", func(p *Persona) { p.Name = strings.Repeat("長", 61) }, "61 characters"},
		{"name", func(p *Persona) { p.Name = "a\x00b" }, "control"},
		{"address", func(p *Persona) { p.Address = "\xff\xfe" }, "UTF-8"},
		{"name", func(p *Persona) { p.Name = "番号　①子" }, `character 4 '①' (U+2460) is not in JIS X 0208, the card's character set; has no substitute`},
		{"name", func(p *Persona) { p.Name = "Hanako" }, `character 1 'H' (U+0048) is not in JIS X 0208, the card's character set; write it full-width`},
		{"address", func(p *Persona) { p.Address = "東京都ｱ" }, `character 4 'ｱ' (U+FF71) is not in JIS X 0208, the card's character set; write it full-width`},
		{"city", func(p *Persona) { p.City = "髙町" }, `character 1 '髙' (U+9AD9)`},
		{"prefecture", func(p *Persona) { p.Prefecture = "東京㈱" }, `character 3 '㈱' (U+3231)`},
		{"prefecture", func(p *Persona) { p.Prefecture = "" }, "missing"},
		{"city", func(p *Persona) { p.City = "" }, "missing"},
		{"my_number", func(p *Persona) { p.MyNumber = "123456789012" }, "check digit is 2, want 8"},
		{"my_number", func(p *Persona) { p.MyNumber = "1234" }, "want 12 digits"},
		{"sex", func(p *Persona) { p.Sex = "M" }, "JIS X 0303"},
		{"birth_date", func(p *Persona) { p.BirthDate = time.Time{} }, "missing"},
		{"birth_date", func(p *Persona) { p.BirthDate = time.Date(1860, 1, 1, 0, 0, 0, 0, time.UTC) }, "明治"},
		{"card_expiry", func(p *Persona) { p.CardExpiry = time.Time{} }, "missing"},
		{"card_expiry", func(p *Persona) { p.CardExpiry = p.BirthDate }, "after the birth date"},
		{"issue_date", func(p *Persona) { p.IssueDate = p.BirthDate.AddDate(0, 0, -1) }, "on or after the birth date (1980-02-17)"},
		{"issue_date", func(p *Persona) { p.IssueDate = p.CardExpiry }, "before the card expiry (2035-02-17)"},
		{"security_code", func(p *Persona) { p.SecurityCode = "12345" }, "4 digits"},
		{"municipality_code", func(p *Persona) { p.MunicipalityCode = "1310" }, "5 digits"},
		{"municipality_code", func(p *Persona) { p.MunicipalityCode = "131017" }, "check digit of 131017 is 7, want 6"},
		{"municipality_code", func(p *Persona) { p.MunicipalityCode = "48101" }, "prefecture code 48"},
		{"chip", func(p *Persona) { p.Chip = "jpki-10" }, `unknown chip "jpki-10"`},
		{"auth_pin", func(p *Persona) { p.AuthPIN = "12345" }, "4 digits"},
		{"sign_password", func(p *Persona) { p.SignPassword = "abc123" }, "A–Z"},
		{"sign_password", func(p *Persona) { p.SignPassword = "AB12" }, "6–16"},
		{"text_pin", func(p *Persona) { p.TextPIN = "12a4" }, "4 digits"},
		{"juki_pin", func(p *Persona) { p.JukiPIN = "" }, "4 digits"},
		{"common_pin", func(p *Persona) { p.CommonPIN = "123" }, "4 digits"},
	} {
		t.Run(tc.field+"/"+tc.reason, func(t *testing.T) {
			p := DefaultPersona()
			tc.edit(&p)
			err := p.Validate()
			var pe *PersonaError
			if !errors.As(err, &pe) || pe.Field != tc.field || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %v, want field %s with %q", err, tc.field, tc.reason)
			}
			if _, err := Generate(p, emulator.KindNormal, time.Now()); err == nil {
				t.Error("Generate accepted the invalid persona")
			}
		})
	}
	p := DefaultPersona()
	p.AuthPIN = "98765"
	if err := p.Validate(); err == nil || strings.Contains(err.Error(), "98765") {
		t.Errorf("error %v quotes the rejected PIN", err)
	}
}

func TestKindValidate(t *testing.T) {
	for _, k := range emulator.Kinds() {
		if err := k.Validate(); err != nil {
			t.Error(err)
		}
	}
	if _, err := Default("gold"); err == nil || !strings.Contains(err.Error(), "normal, face-auth") {
		t.Errorf("Default(gold): %v", err)
	}
}

func TestMunicipalityCheckDigit(t *testing.T) {
	for code, want := range map[string]byte{"13101": '6', "01100": '2', "27100": '4', "47201": '8'} {
		got, err := MunicipalityCheckDigit(code)
		if err != nil || got != want {
			t.Errorf("%s: %c (%v), want %c", code, got, err, want)
		}
		if err := CheckMunicipalityCode(code + string(want)); err != nil {
			t.Errorf("%s%c refused: %v", code, want, err)
		}
	}
}

// The card's dates drive certificate validity: a card issued in 2014 that
// expired in 2024 can only be made as expired-certs, with certificates
// that ended with the card, under CAs older than them.
func TestGenerateFollowsCardDates(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	p := DefaultPersona()
	p.IssueDate = time.Date(2014, 3, 1, 0, 0, 0, 0, time.UTC)
	p.CardExpiry = time.Date(2024, 2, 17, 0, 0, 0, 0, time.UTC)
	var pe *PersonaError
	if _, err := Generate(p, emulator.KindNormal, now); !errors.As(err, &pe) || pe.Field != "issue_date" || !strings.Contains(err.Error(), "expired-certs") {
		t.Fatalf("normal card with expired dates: %v", err)
	}
	s, err := Generate(p, emulator.KindExpiredCerts, now)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := x509.ParseCertificate(s.Files[emulator.JPKIAuthCert])
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(s.Files[emulator.JPKIAuthCACert])
	if err != nil {
		t.Fatal(err)
	}
	if got := auth.NotBefore.In(pki.JST()).Format(time.DateOnly); got != "2014-03-01" {
		t.Errorf("auth certificate from %s, want the issue date", got)
	}
	if got := auth.NotAfter.In(pki.JST()).Format(time.DateOnly); got != "2019-02-17" {
		t.Errorf("auth certificate until %s, want the 5th birthday after issue", got)
	}
	if !ca.NotBefore.Before(auth.NotBefore) {
		t.Errorf("CA from %v is not older than its leaf from %v", ca.NotBefore, auth.NotBefore)
	}
	if s.Kind != emulator.KindExpiredCerts {
		t.Errorf("kind %s", s.Kind)
	}
	future := DefaultPersona()
	future.IssueDate = now.AddDate(0, 0, 1)
	if _, err := Generate(future, emulator.KindNormal, now); !errors.As(err, &pe) || pe.Field != "issue_date" {
		t.Errorf("issue date in the future: %v", err)
	}
}
