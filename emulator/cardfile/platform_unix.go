//go:build unix

package cardfile

import (
	"errors"
	"os"
	"syscall"
)

func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// release removes the lock file while still holding it, so that whoever
// opened it meanwhile sees it gone after locking (Lock checks) and starts
// over on a new one.
func release(f *os.File, lockPath string) error {
	rmErr := os.Remove(lockPath)
	err := unlockFile(f)
	f.Close()
	return errors.Join(rmErr, err)
}
