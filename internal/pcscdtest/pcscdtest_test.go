package pcscdtest_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/internal/pcscdtest"
	"github.com/mynacard/mynacard/vpcd"
)

var testATR = []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}

// okCard answers every command with 90 00.
type okCard struct{}

func (okCard) ATR() []byte              { return testATR }
func (okCard) Transmit(_ []byte) []byte { return []byte{0x90, 0x00} }
func (okCard) Reset()                   {}
func (okCard) PowerOff()                {}

func serve(t *testing.T, addr string) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&vpcd.Server{Card: okCard{}, Addr: addr}).Run(ctx)
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
	d := pcscdtest.Start(t, 3)
	for slot := range 3 {
		serve(t, d.Addr(slot))
	}
	for slot := range 3 {
		if atr := cardATR(t, d.ReaderName(slot)); !bytes.Equal(atr, testATR) {
			t.Errorf("slot %d (%s): ATR % X, want % X", slot, d.ReaderName(slot), atr, testATR)
		}
	}
	d.Restart(t)
	if atr := cardATR(t, d.ReaderName(2)); !bytes.Equal(atr, testATR) {
		t.Errorf("after restart: ATR % X, want % X", atr, testATR)
	}
}
