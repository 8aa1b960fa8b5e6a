package pki

import (
	"fmt"
	"time"
)

// Era is a Japanese era (元号) numbered as JPKI numbers it in the
// birth-date otherName: 1 明治 … 5 令和.
type Era int

const (
	Meiji Era = 1 + iota
	Taisho
	Showa
	Heisei
	Reiwa
)

// eraStarts holds the first Gregorian day of each era, newest first.
var eraStarts = []struct {
	era   Era
	first time.Time
}{
	{Reiwa, date(2019, 5, 1)},
	{Heisei, date(1989, 1, 8)},
	{Showa, date(1926, 12, 25)},
	{Taisho, date(1912, 7, 30)},
	{Meiji, date(1868, 10, 23)},
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// JapaneseDate returns the era and era year (1 for the first, partial
// year) of the calendar day of t. Days before 明治 have no era.
func JapaneseDate(t time.Time) (Era, int, error) {
	day := date(t.Year(), t.Month(), t.Day())
	for _, e := range eraStarts {
		if !day.Before(e.first) {
			return e.era, t.Year() - e.first.Year() + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("pki: date %s is before 明治 (1868-10-23)", day.Format(time.DateOnly))
}

// EraBirthDate writes a birth date as the sign certificate's otherName
// 1.2.392.200149.8.5.5.4 holds it: the era digit, then the Gregorian
// YYYYMMDD.
func EraBirthDate(t time.Time) (string, error) {
	era, _, err := JapaneseDate(t)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d%04d%02d%02d", era, t.Year(), t.Month(), t.Day()), nil
}
