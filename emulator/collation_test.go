package emulator

import (
	"testing"
	"time"
)

func TestCollationB(t *testing.T) {
	for _, tc := range []struct {
		birth, expiry, code, want string
	}{
		{"1980-02-17", "2035-02-17", "2285", "55021720352285"}, // card.md §7.3 test card
		{"2020-02-24", "2030-02-24", "0001", "02022420300001"}, // 令和2年 (nfcpy's example)
		{"1989-01-07", "2030-01-07", "1234", "64010720301234"}, // last day of 昭和
		{"1989-01-08", "2030-01-08", "1234", "01010820301234"}, // first day of 平成
		{"2019-04-30", "2029-04-30", "9999", "31043020299999"}, // last day of 平成
		{"2019-05-01", "2029-05-01", "9999", "01050120299999"}, // first day of 令和
		{"1926-12-24", "2030-12-24", "0000", "15122420300000"}, // 大正15
		{"1912-07-29", "2030-07-29", "0000", "45072920300000"}, // 明治45
	} {
		b, _ := time.Parse(time.DateOnly, tc.birth)
		e, _ := time.Parse(time.DateOnly, tc.expiry)
		got, err := CollationB(b, e, tc.code)
		if err != nil || got != tc.want {
			t.Errorf("CollationB(%s, %s, %s) = %q, %v; want %q", tc.birth, tc.expiry, tc.code, got, err, tc.want)
		}
		if dob, _ := BirthDateKey(b); dob != tc.want[:6] {
			t.Errorf("BirthDateKey(%s) = %q, want %q", tc.birth, dob, tc.want[:6])
		}
	}
	if _, err := CollationB(time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC), time.Now(), "1234"); err == nil {
		t.Error("a birth date before 明治 gave a 照合番号B")
	}
	if _, err := CollationB(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), time.Now(), "12a4"); err == nil {
		t.Error("a bad security code gave a 照合番号B")
	}
}

func TestImpliedSecret(t *testing.T) {
	h := Holder{
		MyNumber:     "123456789018",
		BirthDate:    time.Date(1980, 2, 17, 0, 0, 0, 0, time.UTC),
		CardExpiry:   time.Date(2035, 2, 17, 0, 0, 0, 0, time.UTC),
		SecurityCode: "2285",
	}
	for _, tc := range []struct {
		ref     FileRef
		want    string
		derived bool
	}{
		{TextPINA, "123456789018", true},
		{VisualPINA, "123456789018", true},
		{TextPINB, "55021720352285", true},
		{VisualPINB, "55021720352285", true},
		{VisualDOBKey, "550217", true},
		{JPKIAuthPIN, "", false},
		{JPKISignPassword, "", false},
		{TextPIN, "", false},
		{JukiPIN, "", false},
		{CommonPIN, "", false},
		{TextBlockedKey, "", false},
	} {
		v, ok, err := h.ImpliedSecret(tc.ref)
		if err != nil || ok != tc.derived || string(v) != tc.want {
			t.Errorf("ImpliedSecret(%v) = %q, %v, %v; want %q, %v", tc.ref, v, ok, err, tc.want, tc.derived)
		}
	}
	bad := h
	bad.MyNumber = "12345"
	if _, ok, err := bad.ImpliedSecret(TextPINA); !ok || err == nil {
		t.Errorf("a 5-digit My Number gave 照合番号A (ok %v, err %v)", ok, err)
	}
	bad = h
	bad.BirthDate = time.Time{}
	if _, ok, err := bad.ImpliedSecret(VisualDOBKey); !ok || err == nil {
		t.Errorf("no birth date gave a birth-date key (ok %v, err %v)", ok, err)
	}
}
