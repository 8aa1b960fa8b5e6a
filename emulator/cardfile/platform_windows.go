package cardfile

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile locks the whole file (all 2^64 bytes) exclusively without
// waiting, the LockFileEx counterpart of flock(LOCK_EX|LOCK_NB).
func lockFile(f *os.File) error {
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, ^uint32(0), ^uint32(0), new(windows.Overlapped))
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, ^uint32(0), ^uint32(0), new(windows.Overlapped))
}

// syncDir does nothing: FlushFileBuffers needs a handle open for writing,
// which os.Open does not give for a directory, and NTFS journals the rename
// itself.
func syncDir(string) error { return nil }

// release unlocks, then removes the lock file unless another process has
// it open: Windows refuses to delete an open file, so a removal never
// pulls the file from under a process about to lock it.
func release(f *os.File, lockPath string) error {
	err := unlockFile(f)
	f.Close()
	os.Remove(lockPath)
	return err
}
