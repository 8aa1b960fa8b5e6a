package cardfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
)

// card returns a fresh built-in card of kind k.
func card(t *testing.T, k emulator.Kind) *emulator.State {
	t.Helper()
	s, err := profile.Default(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card.json")
	s := card(t, emulator.KindFaceAuth)
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
	want, _ := Marshal(s)
	if b, _ := Marshal(got); !bytes.Equal(b, want) {
		t.Errorf("round trip changed the card:\n%s\nwant\n%s", b, want)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries after Save, want only the card file", len(ents))
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := card(t, emulator.KindNormal)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
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

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Lock: %v, want in-use error", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = Lock(path)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock()
}

// A save cut off by a kill leaves its temporary file; the next lock holder,
// the only one who may save the card, clears them and nothing else.
func TestLockRemovesTornSaves(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card[1].json")
	keep := []string{"card[1].json", "other.json", ".other.json.tmp123", ".card[1].json"}
	torn := []string{".card[1].json.tmp123", ".card[1].json.tmp456"}
	for _, n := range append(keep, torn...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := Lock(path)
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
			t.Errorf("%s still there after Lock (%v)", n, err)
		}
	}
}

func TestStorePersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	if err := Save(path, card(t, emulator.KindNormal)); err != nil {
		t.Fatal(err)
	}
	open := func() *emulator.Card {
		s, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := emulator.New(s, emulator.WithStore(Store{Path: path}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// A wrong sign password is charged and saved before it is compared:
	// the next process sees 4 tries left.
	selectJPKI := apdu.Command{CLA: 0x00, INS: 0xA4, P1: 0x04, P2: 0x0C, Data: emulator.AppJPKI.AID()}
	tries := func(c *emulator.Card, data []byte) apdu.SW {
		c.Transmit(selectJPKI.Bytes())
		r, err := apdu.ParseResponse(c.Transmit(apdu.Command{CLA: 0x00, INS: 0x20, P2: 0x9B, Data: data}.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		return r.SW
	}
	if sw := tries(open(), []byte("000000")); sw != apdu.RetriesLeft(4) {
		t.Fatalf("wrong password: %v, want 63C4", sw)
	}
	if sw := tries(open(), nil); sw != apdu.RetriesLeft(4) {
		t.Errorf("after a restart: %v, want 63C4 (the spent try was saved)", sw)
	}
}

// Lock and Save touch only regular files (or names not yet taken): a
// device, a directory or a dangling symlink is refused before a lock file
// or a temporary file is made beside it.
func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, make func(p string) error) string {
		p := filepath.Join(dir, name)
		if err := make(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct{ name, path, want string }{
		{"directory", mk("dir.json", func(p string) error { return os.Mkdir(p, 0o700) }), "not a regular file"},
		{"symlink to a device", mk("null.json", func(p string) error { return os.Symlink(os.DevNull, p) }), "not a regular file"},
		{"dangling symlink", mk("gone.json", func(p string) error { return os.Symlink(filepath.Join(dir, "nothing"), p) }), "symlink to nothing"},
	}
	s := card(t, emulator.KindNormal)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := os.Lstat(tt.path)
			if unlock, err := Lock(tt.path); err == nil || !strings.Contains(err.Error(), tt.want) {
				if err == nil {
					unlock()
				}
				t.Errorf("Lock: %v, want an error saying %q", err, tt.want)
			}
			if err := Save(tt.path, s); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Save: %v, want an error saying %q", err, tt.want)
			}
			if after, err := os.Lstat(tt.path); err != nil || after.Mode() != before.Mode() {
				t.Errorf("%s changed: %v", tt.path, err)
			}
		})
	}
	if ents, _ := os.ReadDir(dir); len(ents) != len(tests) {
		t.Errorf("directory holds %d entries, want only the %d special files", len(ents), len(tests))
	}
}

// No lock file outlives its lock, whether the card exists or not.
func TestLockLeavesNoLockFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card.json")
	for range 2 {
		unlock, err := Lock(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path + ".lock"); err != nil {
			t.Errorf("lock file while locked: %v", err)
		}
		if err := unlock(); err != nil {
			t.Fatal(err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%d entries left after unlock, want none", len(ents))
		}
		if err := Save(path, card(t, emulator.KindNormal)); err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
	}
}

// Removing the lock file on unlock must not let two lockers in at once:
// one that opened the file just before its removal starts over.
func TestLockExcludesWhileFilesComeAndGo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	var holders, most, wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				unlock, err := Lock(path)
				if err != nil {
					continue // in use: the expected answer under contention
				}
				n := holders.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				wins.Add(1)
				holders.Add(-1)
				if err := unlock(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 || wins.Load() == 0 {
		t.Errorf("at most %d holders at once over %d locks, want exactly 1", most.Load(), wins.Load())
	}
}
