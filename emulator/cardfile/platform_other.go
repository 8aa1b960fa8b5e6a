//go:build !unix && !windows

package cardfile

import (
	"errors"
	"os"
)

// lockFile refuses where the platform has no advisory file lock (js, wasip1,
// plan9): serving a card file without one could lose counter updates. Such
// programs run cards in memory, without a Store.
func lockFile(*os.File) error { return errors.ErrUnsupported }

func unlockFile(*os.File) error { return nil }

func syncDir(string) error { return nil }

func release(f *os.File, lockPath string) error {
	f.Close()
	return os.Remove(lockPath)
}
