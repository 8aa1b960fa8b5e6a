package main

import (
	"os"
	"path/filepath"
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

// Commands come as OpenSC prints them, split by the shell, from a file or
// from stdin; a VERIFY split across arguments never shows its PIN.
func TestAPDUInputs(t *testing.T) {
	dir := t.TempDir()
	// An extended APDU as long as one can be: 65535 bytes, a SELECT by
	// name whose data no AID matches.
	long := "00A40400 00FFF8 " + strings.Repeat("A5", 0xFFF8)
	list := filepath.Join(dir, "cmds.txt")
	if err := os.WriteFile(list, []byte("# a comment\n00:A4:04:0C:0A:D3:92:F0:00:26:01:00:00:00:01\n\n"+long+"\n00 A4 02 0C 02 00 18  # auth PIN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"colons", []string{"00:A4:04:0C:0A:D3:92:F0:00:26:01:00:00:00:01"}, "", []string{"> SELECT AP jpki", "< 9000"}},
		{"split by the shell", []string{"00", "A4", "04", "0C", "0A", "D3", "92", "F0", "00", "26", "01", "00", "00", "00", "01"}, "", []string{"> SELECT AP jpki", "< 9000"}},
		{"VERIFY split", []string{"00A4040C0AD392F000260100000001", "00A4020C020018", "00200080", "04", "39393939"}, "", []string{"00 20 00 80 04 ** ** ** **", "< 63C2"}},
		{"VERIFY header then data", []string{"00A4040C0AD392F000260100000001", "00A4020C020018", "00200080", "0439393939"}, "", []string{"00 20 00 80 04 ** ** ** **", "< 63C2"}},
		{"file", []string{"-f", list}, "", []string{"> SELECT AP jpki", "00 A4 04 00 00 FF F8 A5 A5", "> SELECT EF jpki/0018"}},
		{"stdin", nil, "00A4040C0AD392F000260100000001\n00A4020C020018\n00200080\n", []string{"> SELECT AP jpki", "< 63C3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := newCardFile(t, emulator.KindNormal, t.TempDir(), "card.json", nil)
			var out, errs strings.Builder
			e := &env{stdout: &out, stderr: &errs}
			if tt.stdin != "" {
				e.stdin = strings.NewReader(tt.stdin)
			}
			if code := run(e, append([]string{"apdu", path}, tt.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, errs.String())
			}
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%.2000s", want, out.String())
				}
			}
			for _, pin := range []string{"39393939", "39 39 39 39", "9999"} {
				if strings.Contains(out.String()+errs.String(), pin) {
					t.Errorf("output shows the PIN:\n%s", out.String())
				}
			}
		})
	}
}
