package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// loadCard is what one card of the load test holds that no other does:
// its auth and common PIN counters, a pair unique to it, so an answer
// that crossed to another slot shows.
type loadCard struct {
	auth, common int
}

// loadStep is one command of a client's cycle and the check of its answer.
type loadStep struct {
	cmd   []byte
	check func(data []byte, sw apdu.SW) error
}

func wantSW(want apdu.SW) func([]byte, apdu.SW) error {
	return func(_ []byte, sw apdu.SW) error {
		if sw != want {
			return fmt.Errorf("SW %v, want %v", sw, want)
		}
		return nil
	}
}

// loadCycle is a client's repeating sequence: reads, a challenge, counter
// queries that identify the card, and (with spend) a wrong then right
// sign password, which saves the card file twice.
func loadCycle(c loadCard, cert []byte, spend bool) []loadStep {
	steps := []loadStep{
		{cmdSelectJPKI, wantSW(apdu.SWOK)},
		{cmdSelectEF(emulator.JPKIAuthPIN.FID()), wantSW(apdu.SWOK)},
		{cmdVerify(""), wantSW(apdu.RetriesLeft(c.auth))},
		{cmdSelectEF(emulator.JPKIAuthCert.FID()), wantSW(apdu.SWOK)},
		{[]byte{0x00, 0xB0, 0x00, 0x00, 0x00}, func(data []byte, sw apdu.SW) error {
			if sw != apdu.SWOK || !bytes.Equal(data, cert[:256]) {
				return fmt.Errorf("READ BINARY of the auth certificate: SW %v, %d bytes, not the card's first 256", sw, len(data))
			}
			return nil
		}},
		{[]byte{0x00, 0x84, 0x00, 0x00, 0x08}, func(data []byte, sw apdu.SW) error {
			if sw != apdu.SWOK || len(data) != 8 {
				return fmt.Errorf("GET CHALLENGE: SW %v, %d bytes, want 8", sw, len(data))
			}
			return nil
		}},
		{cmdSelectCommon, wantSW(apdu.SWOK)},
		{cmdSelectEF(emulator.CommonPIN.FID()), wantSW(apdu.SWOK)},
		{cmdVerify(""), wantSW(apdu.RetriesLeft(c.common))},
	}
	if spend {
		steps = append(steps,
			loadStep{cmdSelectJPKI, wantSW(apdu.SWOK)},
			loadStep{cmdSelectEF(emulator.JPKISignPassword.FID()), wantSW(apdu.SWOK)},
			loadStep{cmdVerify("WRONG1"), wantSW(apdu.RetriesLeft(4))},
			loadStep{cmdVerify("ABC123"), wantSW(apdu.SWOK)},
		)
	}
	return steps
}

// TestLoadEightCards serves eight cards from one `mynacard serve` on
// eight pcscd slots and hammers each from its own PC/SC client at once.
// Every answer is checked against its own card's counters: no answer may
// cross to another card, none may be lost, and no counter may move except
// the sign password spent and restored.
func TestLoadEightCards(t *testing.T) {
	const (
		cards   = 8
		perCard = 1000
	)
	d := pcsctest.Daemon(t, cards)
	dir := t.TempDir()
	var (
		paths []string
		want  []loadCard
		cert  []byte
	)
	for i := range cards {
		c := loadCard{auth: 1 + i%3, common: 1 + i/3}
		want = append(want, c)
		paths = append(paths, newCardFile(t, emulator.KindNormal, dir, "card"+strconv.Itoa(i)+".json", func(s *emulator.State) {
			s.PINs[emulator.JPKIAuthPIN].Remaining = c.auth
			s.PINs[emulator.CommonPIN].Remaining = c.common
			cert = s.Files[emulator.JPKIAuthCert]
		}))
	}
	srv := startMyna(t, "serve", "--port", strconv.Itoa(d.Base), "--slots", strings.Join(paths, ","))
	readers := make([]*pcscReader, cards)
	for i := range readers {
		readers[i] = openPCSCReader(t, d.ReaderName(i))
		readers[i].connect(t, 15*time.Second)
	}

	var (
		wg       sync.WaitGroup
		answered atomic.Int64
		saves    atomic.Int64
	)
	start := time.Now()
	for i, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := 0
			for cycle := 0; sent < perCard; cycle++ {
				spend := cycle%4 == 0
				for _, s := range loadCycle(want[i], cert, spend) {
					if sent == perCard {
						return
					}
					data, sw, err := r.transmit(s.cmd)
					sent++
					if err != nil {
						t.Errorf("card %d, APDU %d (% X): %v", i, sent, s.cmd, err)
						return
					}
					if err := s.check(data, sw); err != nil {
						t.Errorf("card %d (auth %d, common %d tries), APDU %d (% X): %v", i, want[i].auth, want[i].common, sent, s.cmd, err)
						return
					}
					answered.Add(1)
				}
				if spend {
					saves.Add(3) // wrong: one save; right: decrement, then reset
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, r := range readers {
		r.disconnect()
	}
	srv.stop(syscall.SIGTERM)
	for i, p := range paths {
		st := loadCardFile(t, p)
		got := loadCard{st.PINs[emulator.JPKIAuthPIN].Remaining, st.PINs[emulator.CommonPIN].Remaining}
		if got != want[i] {
			t.Errorf("card %d: counters %+v after the run, want %+v", i, got, want[i])
		}
		if n := st.PINs[emulator.JPKISignPassword].Remaining; n != 5 {
			t.Errorf("card %d: sign password counter %d after the run, want 5", i, n)
		}
	}
	if got := answered.Load(); got != cards*perCard {
		t.Errorf("%d of %d APDUs answered as expected", got, cards*perCard)
	}
	t.Logf("%d cards × %d APDUs through pcscd in %v (%.0f APDU/s), %d counter saves; 0 lost, 0 crossed",
		cards, perCard, elapsed.Round(time.Millisecond), float64(answered.Load())/elapsed.Seconds(), saves.Load())
}
