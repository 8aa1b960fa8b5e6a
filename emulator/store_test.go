package emulator

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mynacard/mynacard/apdu"
)

// stateCmp compares byte strings with bytes.Equal: element-wise diffs of
// certificates make the model test crawl. Secret is assignable to []byte,
// so the comparer covers it too.
var stateCmp = cmp.Options{
	cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) }),
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card.json")
	s := faceAuthState(t)
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("card file mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(s, got, stateCmp); d != "" {
		t.Errorf("round trip (-saved +loaded):\n%s", d)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries after Save, want only the card file", len(ents))
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := NewTestState(t)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v2 := good.Clone()
	v2.FormatVersion = 2
	var v2json bytes.Buffer
	if err := Save(filepath.Join(dir, "v2.json"), good); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "v2.json"))
	v2json.Write(bytes.Replace(b, []byte(`"format_version": 1`), []byte(`"format_version": 2`), 1))
	badPIN := bytes.Replace(b, []byte(`"max": 3`), []byte(`"max": 4`), 1)
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "nope.json"},
		{"not JSON", write("garbage.json", []byte("{\x00")), "garbage.json: not JSON"},
		{"no version", write("nover.json", []byte(`{"kind":"normal"}`)), "no format_version"},
		{"future version", write("v2.json", v2json.Bytes()), "format_version 2 is not supported"},
		{"unknown field", write("extra.json", bytes.Replace(b, []byte(`"kind"`), []byte(`"colour": 1, "kind"`), 1)), `unknown field "colour"`},
		{"invalid state", write("badpin.json", badPIN), "max 4, want 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.ReadFile(tt.path)
			_, err := Load(tt.path)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), filepath.Base(tt.path)) {
				t.Errorf("error %q: want it to name the file and say %q", err, tt.want)
			}
			if after, _ := os.ReadFile(tt.path); !bytes.Equal(before, after) {
				t.Error("Load rewrote the file")
			}
		})
	}
}

func TestLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	unlock, err := LockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockFile(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second LockFile: %v, want in-use error", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = LockFile(path)
	if err != nil {
		t.Fatalf("LockFile after unlock: %v", err)
	}
	unlock()
}

// A save cut off by a kill leaves its temporary file; the next lock holder,
// the only one who may save the card, clears them and nothing else.
func TestLockFileRemovesTornSaves(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card[1].json")
	keep := []string{"card[1].json", "other.json", ".other.json.tmp123", ".card[1].json"}
	torn := []string{".card[1].json.tmp123", ".card[1].json.tmp456"}
	for _, n := range append(keep, torn...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := LockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s: %v; only the card's temporary files may go", n, err)
		}
	}
	for _, n := range torn {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s still there after LockFile (%v)", n, err)
		}
	}
}

// recordingStore keeps every saved state and can be told to fail.
type recordingStore struct {
	saved []*State
	fail  bool
}

func (r *recordingStore) Save(s *State) error {
	if r.fail {
		return errors.New("disk full")
	}
	r.saved = append(r.saved, s.Clone())
	return nil
}

func TestCounterSavedBeforeCompare(t *testing.T) {
	st := &recordingStore{}
	s := NewTestState(t)
	c, err := New(s, WithStore(st))
	if err != nil {
		t.Fatal(err)
	}
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	mustSW(t, c.Transmit(h("00 20 00 98 04 30303030")), apdu.RetriesLeft(2))
	if len(st.saved) != 1 || st.saved[0].PINs[JPKIAuthPIN].Remaining != 2 {
		t.Fatalf("after a wrong PIN the store holds %d saves, want one with remaining 2", len(st.saved))
	}
	mustSW(t, c.Transmit(h("00 20 00 98 04 31323334")), apdu.SWOK)
	if n := len(st.saved); n != 3 || st.saved[1].PINs[JPKIAuthPIN].Remaining != 1 || st.saved[2].PINs[JPKIAuthPIN].Remaining != 3 {
		t.Fatalf("a right PIN must be charged (1) then reset (3); saves: %d", n)
	}
	// Queries and reads do not write.
	mustSW(t, c.Transmit(h("00 20 00 98")), apdu.RetriesLeft(3))
	if len(st.saved) != 3 {
		t.Error("a retry query saved the state")
	}

	// When the counter cannot be saved the PIN is not compared: even the
	// right one does not verify.
	st.fail = true
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	mustSW(t, c.Transmit(h("00 20 00 98 04 31323334")), apdu.SWMemoryFailure)
	mustSW(t, c.Transmit(h(selEF(0x0017))), apdu.SWOK)
	mustSW(t, c.Transmit(h("80 2A 00 80 01 00 00")), apdu.SWSecurityNotSatisfied)
	if got := c.Snapshot().PINs[JPKIAuthPIN].Remaining; got != 2 {
		t.Errorf("remaining %d after an unsaved attempt, want 2 (the try stays spent)", got)
	}
	if err := c.Issue(func(s *State) error { return s.Unblock(JPKIAuthPIN, Secret("1234")) }); err == nil {
		t.Error("Issue succeeded although the store failed")
	}
}

func TestFileStorePersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	if err := Save(path, NewTestState(t)); err != nil {
		t.Fatal(err)
	}
	open := func() *Card {
		s, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(s, WithStore(FileStore{Path: path}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open()
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	mustSW(t, c.Transmit(h("00 20 00 9B 06 303030303030")), apdu.RetriesLeft(4))
	c = open()
	mustSW(t, c.Transmit(h(selJPKI)), apdu.SWOK)
	mustSW(t, c.Transmit(h("00 20 00 9B")), apdu.RetriesLeft(4))
}
