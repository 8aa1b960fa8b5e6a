package cardfile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
)

// onPrivateTmpfs runs f on a thread of its own in a private mount
// namespace, with a tmpfs of size bytes mounted at a new directory. The
// thread never returns to the scheduler, so no other goroutine sees the
// mount; f must do its file work on this goroutine.
func onPrivateTmpfs(t *testing.T, size string, f func(dir string)) {
	t.Helper()
	dir := t.TempDir()
	done := make(chan string)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		defer close(done)
		if err := syscall.Unshare(syscall.CLONE_NEWNS); err != nil {
			done <- "unshare(CLONE_NEWNS): " + err.Error() + " (needs root or a user namespace)"
			return
		}
		if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
			done <- "making / private: " + err.Error()
			return
		}
		if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
			done <- "mount tmpfs: " + err.Error()
			return
		}
		defer syscall.Unmount(dir, syscall.MNT_DETACH)
		f(dir)
	}()
	if why, ok := <-done; ok {
		t.Skip("no private tmpfs: " + why)
	}
}

// verifySW sends VERIFY of the auth PIN with value (after selecting JPKI).
func verifySW(c *emulator.Card, value string) apdu.SW {
	c.Transmit(apdu.SelectAID(emulator.AppJPKI.AID()).Bytes())
	r, _ := apdu.ParseResponse(c.Transmit(apdu.Verify(apdu.KeyRef(emulator.JPKIAuthPIN.FID()), []byte(value)).Bytes()))
	return r.SW
}

// A save that fails (disk full, directory read-only) answers 65 81 without
// comparing and gives the try back: the counter ends as it was before the
// failed saves, in memory and on disk, and the right PIN entered three
// times meanwhile blocks nothing.
func TestFailedSavesSpendNoTries(t *testing.T) {
	normal := card(t, emulator.KindNormal)
	onPrivateTmpfs(t, "256k", func(dir string) {
		path := filepath.Join(dir, "card.json")
		if err := Save(path, normal); err != nil {
			t.Error(err)
			return
		}
		s, err := Load(path)
		if err != nil {
			t.Error(err)
			return
		}
		c, err := emulator.New(s, emulator.WithStore(Store{Path: path}))
		if err != nil {
			t.Error(err)
			return
		}
		if sw := verifySW(c, "0000"); sw != apdu.RetriesLeft(2) {
			t.Errorf("wrong PIN with room on disk: %v, want 63C2", sw)
		}
		tries := func() (mem, disk int) {
			var m int
			c.Inspect(func(s *emulator.State) { m = s.PINs[emulator.JPKIAuthPIN].Remaining })
			d, err := Load(path)
			if err != nil {
				t.Error(err)
				return m, -1
			}
			return m, d.PINs[emulator.JPKIAuthPIN].Remaining
		}

		failures := []struct {
			name       string
			fail, heal func() error
		}{
			{"disk full", func() error { return fill(filepath.Join(dir, "filler")) }, func() error { return os.Remove(filepath.Join(dir, "filler")) }},
			{"read-only", func() error { return syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, "") },
				func() error { return syscall.Mount("", dir, "", syscall.MS_REMOUNT, "size=256k,mode=0700") }},
		}
		for _, fl := range failures {
			if err := fl.fail(); err != nil {
				t.Errorf("%s: %v", fl.name, err)
				return
			}
			for _, v := range []string{"1234", "1234", "1234", "9999"} {
				if sw := verifySW(c, v); sw != apdu.SWMemoryFailure {
					t.Errorf("%s: VERIFY %v, want 6581", fl.name, sw)
				}
			}
			if mem, disk := tries(); mem != 2 || disk != 2 {
				t.Errorf("%s: %d tries in memory, %d on disk; want 2 and 2, as before the failed saves", fl.name, mem, disk)
			}
			if err := fl.heal(); err != nil {
				t.Errorf("%s: %v", fl.name, err)
				return
			}
			if sw := verifySW(c, "0000"); sw != apdu.RetriesLeft(1) {
				t.Errorf("%s: wrong PIN once saves work again: %v, want 63C1", fl.name, sw)
			}
			if sw := verifySW(c, "1234"); sw != apdu.SWOK {
				t.Errorf("%s: right PIN once saves work again: %v, want 9000", fl.name, sw)
			}
			if sw := verifySW(c, "0000"); sw != apdu.RetriesLeft(2) {
				t.Errorf("%s: %v, want 63C2 to start the next case", fl.name, sw)
			}
		}
	})
}

// fill writes to path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}
