// Package cardfile keeps an emulator.State in a card file: JSON written
// atomically, readable by its owner only, and locked against a second
// process while a card is served or edited. It holds everything of the
// emulator that touches the file system, so the emulator itself builds on
// every GOOS.
package cardfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mynacard/mynacard/emulator"
)

// Store persists a running card to the card file at Path; pass it to
// emulator.WithStore.
type Store struct{ Path string }

func (f Store) Save(s *emulator.State) error { return Save(f.Path, s) }

// Marshal encodes s as a card file's contents.
func Marshal(s *emulator.State) ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("card file: %w", err)
	}
	return append(b, '\n'), nil
}

// Save writes s to path atomically: a temporary file in the same
// directory, fsynced, renamed over path, then the directory fsynced so the
// rename itself survives a crash. The file is readable by its owner only:
// it holds the secrets.
func Save(path string, s *emulator.State) (err error) {
	// Through a symlink, write the card it names: renaming over the link
	// would replace it with a copy and detach the card.
	if path, err = resolve(path); err != nil {
		return err
	}
	b, err := Marshal(s)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("card file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("card file %s: %w", path, err)
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// Load reads and validates the card file at path. It never writes the
// file, so a damaged card file stays as it was for inspection.
func Load(path string) (*emulator.State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("card file: %w", err)
	}
	var v struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("card file %s: not JSON: %w", path, err)
	}
	switch {
	case v.FormatVersion == nil:
		return nil, fmt.Errorf("card file %s: no format_version; not a mynacard card file", path)
	case *v.FormatVersion != emulator.FormatVersion:
		return nil, fmt.Errorf("card file %s: format_version %d is not supported (this build reads %d)", path, *v.FormatVersion, emulator.FormatVersion)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	s := new(emulator.State)
	if err := d.Decode(s); err != nil {
		return nil, fmt.Errorf("card file %s: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("card file %s: %w", path, err)
	}
	return s, nil
}

// tempPattern names Save's temporary files for the card at path:
// os.CreateTemp puts a random string where the * is.
func tempPattern(path string) string { return tempPrefix(path) + "*" }

func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp" }

// removeTempFiles deletes temporary files a process killed in the middle of
// Save left beside the card. Only the holder of the card's lock saves it,
// so once the lock is taken no such file can belong to a save in progress;
// without this every kill during a save would leave one more behind.
func removeTempFiles(card string) {
	dir := filepath.Dir(card)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), tempPrefix(card)) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
