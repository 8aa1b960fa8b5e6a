//go:build linux

// Package pcsctest gives Go tests virtual My Number cards: in process, to
// call Transmit on (Card), or in the readers of a private pcscd, so that
// unchanged PC/SC code (github.com/ebfe/scard, or a program the test runs)
// reaches them (Start).
//
// Importing the package sets PCSCLITE_CSOCK_NAME for the test process to
// its private daemon's socket, because libpcsclite reads it once, at the
// process's first PC/SC call: PC/SC calls of a test binary that imports
// pcsctest never reach the system pcscd. A process whose environment
// already names a socket (one that mynacard run or a bed started) keeps
// it. Pass the bed's Env to programs the test runs. Every private pcscd of
// one test process uses the same socket path, so they run one at a time;
// another Start waits for the previous bed's test to end.
// Each process has its own directory, removed when its bed closes.
//
// A test with PC/SC code under test:
//
//	func TestMyClient(t *testing.T) {
//		bed := pcsctest.Start(t, emulator.KindNormal, emulator.KindFaceAuth)
//		ctx, err := scard.EstablishContext()
//		…
//		card, err := ctx.Connect(bed.Readers()[0], scard.ShareShared, scard.ProtocolAny)
//		…
//		// Pull the face-auth card out of its reader.
//		if _, err := bed.Do(control.Request{Op: "remove", Slot: 1}); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// A test that needs only a connection, not its own PC/SC code, takes one
// from Connect.
//
// Tests skip when pcscd, vpcd or namespaces are missing, and fail instead
// under CI=true, where a missing stack is a broken build machine.
package pcsctest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/vpcd/pcscd"
	"github.com/mynacard/mynacard/vpcd/testbed"
)

// Card returns a fresh in-memory card of kind k with the default persona
// (profile.DefaultPersona), for unit tests that call Transmit directly.
func Card(tb testing.TB, k emulator.Kind, opts ...emulator.Option) *emulator.Card {
	tb.Helper()
	c, err := testbed.NewCard(k, opts...)
	if err != nil {
		tb.Fatalf("pcsctest: %v", err)
	}
	return c
}

// Start puts a fresh card of each kind in its own reader of a private
// pcscd and returns the bed once pcscd reports them present: bed.Readers()
// names the readers, slot order; bed.Control is the control socket, also
// reachable as bed.Do. The bed closes when the test ends.
func Start(tb testing.TB, kinds ...emulator.Kind) *testbed.Bed {
	tb.Helper()
	cards := make([]testbed.Card, len(kinds))
	for i, k := range kinds {
		cards[i] = testbed.Card{Name: string(k), Card: Card(tb, k)}
	}
	return StartCards(tb, cards...)
}

// StartCards is Start with cards the test built, such as one loaded from
// a card file or made with its own persona.
func StartCards(tb testing.TB, cards ...testbed.Card) *testbed.Bed {
	tb.Helper()
	acquire(tb)
	b, err := testbed.Start(testbed.Options{Cards: cards, Dir: proc.dir})
	if err != nil {
		fail(tb, err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("pcsctest: close: %v", err)
		}
	})
	return b
}

// Daemon starts a private pcscd with slots vpcd readers and no cards, for
// tests that serve their own vpcd.Card on d.Addr(n). It stops when the
// test ends.
func Daemon(tb testing.TB, slots int) *pcscd.Daemon {
	tb.Helper()
	acquire(tb)
	d, err := pcscd.Start(pcscd.Options{Slots: slots, Dir: proc.dir})
	if err != nil {
		fail(tb, err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("pcscd log:\n%s", d.Log())
		}
		if err := d.Close(); err != nil {
			tb.Errorf("pcsctest: %v", err)
		}
	})
	return d
}

// Connect opens a shared connection to the card in reader, as a client
// under test would; the connection and its context end with the test.
func Connect(tb testing.TB, reader string) *scard.Card {
	tb.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		tb.Fatalf("pcsctest: SCardEstablishContext: %v", err)
	}
	tb.Cleanup(func() { ctx.Release() })
	card, err := ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		tb.Fatalf("pcsctest: SCardConnect %s: %v", reader, err)
	}
	tb.Cleanup(func() { card.Disconnect(scard.LeaveCard) })
	return card
}

// proc is the per-process state: the one directory (and so socket path)
// libpcsclite will use, and the lock that lets one daemon use it at a time.
var proc struct {
	dir  string
	busy sync.Mutex
}

// init points this process's PC/SC client at its private daemon before any
// test can make a PC/SC call: libpcsclite fixes the socket at the first
// call, so a stray call before Start would otherwise tie the whole test
// binary to the system pcscd and make every later Start unreachable.
func init() {
	// Random, so that another user's run never finds it taken, and absent
	// between beds, so that nothing is left after the last.
	d, err := os.MkdirTemp("", fmt.Sprintf("mynacard-pcscd-%d-", os.Getpid()))
	if err == nil {
		err = os.Remove(d)
	}
	proc.dir = d
	if err != nil {
		proc.dir = filepath.Join(os.TempDir(), fmt.Sprintf("mynacard-pcscd-%d", os.Getpid()))
	}
	// A process started by a harness (mynacard run, a bed's Env) already
	// names the daemon it must reach.
	if _, set := os.LookupEnv(pcscd.SocketEnv); !set {
		os.Setenv(pcscd.SocketEnv, pcscd.SocketIn(proc.dir))
	}
}

// acquire waits until no other daemon of this process runs, and releases
// when the test ends (registered first, so it runs after the Close).
func acquire(tb testing.TB) {
	proc.busy.Lock()
	tb.Cleanup(proc.busy.Unlock)
}

func fail(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case !errors.Is(err, pcscd.ErrUnavailable):
		tb.Fatalf("pcsctest: %v", err)
	case os.Getenv("CI") == "true":
		tb.Fatalf("pcsctest: %v (CI=true: not skipping)", err)
	}
	tb.Skipf("pcsctest: %v", err)
}
