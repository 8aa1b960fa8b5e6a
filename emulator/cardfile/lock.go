package cardfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// errLocked is what the platform's lockFile returns when another process
// holds the lock.
var errLocked = errors.New("locked")

// Lock takes an exclusive lock on the card at cardPath ("<cardPath>.lock":
// flock on unix, LockFileEx on Windows), so that two processes never serve
// or edit one card and race on its retry counters. It fails at once if the
// card is in use, and refuses a path that is not a regular file (or not
// yet a file at all). The lock file exists only while the lock is held:
// unlock removes it, so no lock file outlives its card or a failed command.
func Lock(cardPath string) (unlock func() error, err error) {
	// Lock the card, not the name: a symlink to a served card is refused.
	card, err := resolve(cardPath)
	if err != nil {
		return nil, err
	}
	lockPath := card + ".lock"
	for {
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
		// The holder before us may have removed the file between our open
		// and our lock: then we hold a lock nobody else can see, and must
		// take the one now at lockPath.
		if held, err := f.Stat(); err == nil {
			if now, err := os.Stat(lockPath); err == nil && os.SameFile(held, now) {
				removeTempFiles(card)
				return func() error { return release(f, lockPath) }, nil
			}
		}
		unlockFile(f)
		f.Close()
	}
}

// resolve follows symlinks in path to the file a card lives in, and
// refuses anything but a regular file or a name not yet taken: a card file
// is always replaced by rename, which must never hit a device, a
// directory or a FIFO.
func resolve(path string) (string, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			return "", fmt.Errorf("card file %s: a symlink to nothing; refusing to replace it", path)
		}
		return path, nil
	case err != nil:
		return "", fmt.Errorf("card file %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("card file %s: not a regular file (%v); card files are only written by rename", path, fi.Mode().Type())
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("card file %s: %w", path, err)
	}
	return real, nil
}
