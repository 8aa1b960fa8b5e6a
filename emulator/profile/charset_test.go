package profile

import (
	"crypto/x509"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/pki"
)

func TestInJISX0208(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want bool
		why  string
	}{
		{'　', true, "row 1, first cell"},
		{'１', true, "row 3 full-width digit"},
		{'ア', true, "row 5 katakana"},
		{'─', true, "row 8, first cell"},
		{'╂', true, "row 8, last cell"},
		{'亜', true, "row 16, level 1 first"},
		{'腕', true, "row 47, level 1 last"},
		{'弌', true, "row 48, level 2 first"},
		{'熙', true, "row 84, last (JIS X 0208-1990)"},
		{'①', false, "NEC row 13"},
		{'Ⅰ', false, "NEC row 13"},
		{'㈱', false, "NEC row 13"},
		{'﨑', false, "NEC-selected IBM extension, row 89"},
		{'髙', false, "NEC-selected IBM extension, row 92"},
		{'𠮷', false, "outside the BMP"},
		{'丂', false, "JIS X 0212"},
		{'A', false, "ASCII"},
		{' ', false, "ASCII space"},
		{'ｱ', false, "half-width katakana"},
		{'한', false, "Hangul"},
	} {
		if got := inJISX0208(tc.r); got != tc.want {
			t.Errorf("inJISX0208(%q U+%04X, %s) = %v", tc.r, tc.r, tc.why, got)
		}
	}
}

func TestSubstitutesLeaveJISX0208(t *testing.T) {
	for from, to := range substitutes {
		if inJISX0208(from) || !inJISX0208(to) {
			t.Errorf("substitute %q → %q: want a character outside JIS X 0208 replaced by one inside", from, to)
		}
	}
}

func TestToJISX0208(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want jisText
	}{
		{"番号　花子", jisText{text: "番号　花子"}},
		{"髙橋　﨑子", jisText{text: "高橋　崎子", substituted: []int{0, 3}}},
		{"𠮷田　太郎", jisText{text: "吉田　太郎", substituted: []int{0}}},
	} {
		got, err := toJISX0208("name", tc.in, true)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(jisText{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.in, diff)
		}
	}
	if _, err := toJISX0208("city", "髙町", false); err == nil {
		t.Error("a field without a substitute-position field accepted a substitutable variant")
	}
}

// The sign certificate carries the substituted name and address and marks
// each substituted character "1" (card.md §10, 1.2.392.200149.8.5.5.2 and .6);
// the card face keeps the name as written.
func TestSignCertSubstitutes(t *testing.T) {
	p := DefaultPersona()
	p.Name = "髙橋　﨑子"
	p.Address = "東京都千代田区德町１"
	s, err := Generate(p, emulator.KindNormal, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(s.Files[emulator.JPKISignCert])
	if err != nil {
		t.Fatal(err)
	}
	got, err := pki.ParseAltNames(c)
	if err != nil {
		t.Fatal(err)
	}
	jpki := func(n int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, n} }
	want := []pki.OtherName{
		{ID: jpki(1), Value: "高橋　崎子"},
		{ID: jpki(4), Value: "319800217"},
		{ID: jpki(3), Value: "2"},
		{ID: jpki(5), Value: "東京都千代田区徳町１"},
		{ID: jpki(2), Value: "10010"},
		{ID: jpki(6), Value: "0000000100"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("otherNames (-want +got):\n%s", diff)
	}
	if s.Holder.Name != p.Name {
		t.Errorf("card holder name %q, want %q as written", s.Holder.Name, p.Name)
	}
}
