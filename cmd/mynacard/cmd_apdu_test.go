package main

import (
	"strings"
	"testing"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/cardfile"
)

func TestAPDUCommand(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	code, out, errs := runCLI(t, "apdu", path,
		"00A4040C0AD392F000260100000001",
		"00 A4 02 0C 02 00 18",
		"00 20 00 80 04 39393939",
		"00 20 00 80",
		"00 A4 02 0C 02 00 0A",
		"00 B0 00 00 04")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"> SELECT AP jpki", "< 9000 (OK)",
		"> SELECT EF jpki/0018 (auth PIN)",
		"> VERIFY current EF data 4 bytes [REDACTED]", "00 20 00 80 04 ** ** ** **", "< 63C2 (verification failed, 2 tries left)",
		"> VERIFY current EF (retry query)",
		"> READ BINARY offset 0 Le 4", "< 3082",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "39393939") {
		t.Errorf("output shows the PIN:\n%s", out)
	}
	// The wrong PIN was charged to the card file.
	st, err := cardfile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.PINs[emulator.JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("card file counter %d after one wrong PIN, want 2", got)
	}
}

func TestAPDULockedCard(t *testing.T) {
	path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
	unlock, err := cardfile.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if code, _, errs := runCLI(t, "apdu", path, "00A40000"); code != 1 || !strings.Contains(errs, "in use") {
		t.Errorf("locked card: exit %d, %s", code, errs)
	}
}
