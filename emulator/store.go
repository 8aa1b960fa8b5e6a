package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Card files: a State as JSON, written atomically so that a crash leaves
// either the old or the new file, never a torn one.

// FileStore persists the card to the card file at Path.
type FileStore struct{ Path string }

func (f FileStore) Save(s *State) error { return Save(f.Path, s) }

// Save writes s to path atomically: a temporary file in the same
// directory, fsynced, renamed over path, then the directory fsynced so the
// rename itself survives a crash. The file is readable by its owner only:
// it holds the secrets.
func Save(path string, s *State) (err error) {
	// Through a symlink, write the card it names: renaming over the link
	// would replace it with a copy and detach the card.
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("emulator: card file %s: %w", path, err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("emulator: card file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("emulator: card file %s: %w", path, err)
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
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Load reads and validates the card file at path. It never writes the
// file, so a damaged card file stays as it was for inspection.
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("emulator: card file: %w", err)
	}
	var v struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("emulator: card file %s: not JSON: %w", path, err)
	}
	switch {
	case v.FormatVersion == nil:
		return nil, fmt.Errorf("emulator: card file %s: no format_version; not a mynacard card file", path)
	case *v.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("emulator: card file %s: format_version %d is not supported (this build reads %d)", path, *v.FormatVersion, FormatVersion)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	s := new(State)
	if err := d.Decode(s); err != nil {
		return nil, fmt.Errorf("emulator: card file %s: %w", path, err)
	}
	if _, err := s.check(); err != nil {
		return nil, fmt.Errorf("emulator: card file %s: %w", path, err)
	}
	return s, nil
}

// LockFile takes an exclusive lock on the card at cardPath (flock on
// "<cardPath>.lock"), so that two processes never serve or edit one card
// and race on its retry counters. It fails at once if the card is in use.
func LockFile(cardPath string) (unlock func() error, err error) {
	// Lock the card, not the name: a symlink to a served card is refused.
	card := cardPath
	if p, err := filepath.EvalSymlinks(cardPath); err == nil {
		card = p
	}
	lockPath := card + ".lock"
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("emulator: lock card file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("emulator: card file %s is in use by another process (lock %s is held)", cardPath, lockPath)
		}
		return nil, fmt.Errorf("emulator: lock card file %s: %w", lockPath, err)
	}
	removeTempFiles(card)
	return func() error {
		defer f.Close()
		return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	}, nil
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
