//go:build linux

package pcsctest_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

// okCard answers every command with 90 00. Its ATR's last byte names its
// slot, so a test sees that each reader reaches its own card.
type okCard struct{ slot int }

func (c okCard) ATR() []byte          { return atrFor(c.slot) }
func (okCard) Transmit([]byte) []byte { return []byte{0x90, 0x00} }
func (okCard) Reset()                 {}
func (okCard) PowerOff()              {}

func atrFor(slot int) []byte { return []byte{0x3B, 0x81, 0x80, 0x01, byte(slot)} }

func serve(t *testing.T, addr string, slot int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&vpcd.Server{Card: okCard{slot}, Addr: addr}).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// cardATR waits for a card in reader and returns its ATR.
func cardATR(t *testing.T, reader string) []byte {
	t.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Release()
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := ctx.GetStatusChange(rs, time.Second); err != nil && err != scard.ErrTimeout {
			t.Fatalf("GetStatusChange(%s): %v", reader, err)
		}
		if rs[0].EventState&scard.StatePresent != 0 {
			return rs[0].Atr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no card in %q within 5s (state %#x)", reader, rs[0].EventState)
		}
		rs[0].CurrentState = rs[0].EventState
	}
}

func TestSlotsAndRestart(t *testing.T) {
	// Eight slots take four reader entries, each with its own driver copy.
	const slots = 8
	d := pcsctest.Daemon(t, slots)
	for slot := range slots {
		serve(t, d.Addr(slot), slot)
	}
	for slot := range slots {
		if atr := cardATR(t, d.ReaderName(slot)); !bytes.Equal(atr, atrFor(slot)) {
			t.Errorf("slot %d (%s): ATR % X, want % X", slot, d.ReaderName(slot), atr, atrFor(slot))
		}
	}
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	if atr := cardATR(t, d.ReaderName(slots-1)); !bytes.Equal(atr, atrFor(slots-1)) {
		t.Errorf("after restart: ATR % X, want % X", atr, atrFor(slots-1))
	}
}
