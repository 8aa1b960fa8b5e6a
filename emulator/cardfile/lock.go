package cardfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errLocked is what the platform's lockFile returns when another process
// holds the lock.
var errLocked = errors.New("locked")

// Lock takes an exclusive lock on the card at cardPath ("<cardPath>.lock":
// flock on unix, LockFileEx on Windows), so that two processes never serve
// or edit one card and race on its retry counters. It fails at once if the
// card is in use.
func Lock(cardPath string) (unlock func() error, err error) {
	// Lock the card, not the name: a symlink to a served card is refused.
	card := cardPath
	if p, err := filepath.EvalSymlinks(cardPath); err == nil {
		card = p
	}
	lockPath := card + ".lock"
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock card file: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("card file %s is in use by another process (lock %s is held)", cardPath, lockPath)
		}
		return nil, fmt.Errorf("lock card file %s: %w", lockPath, err)
	}
	removeTempFiles(card)
	return func() error {
		defer f.Close()
		return unlockFile(f)
	}, nil
}
