package vpcd_test

import (
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/vpcdtest"
)

// zeroCard does no work: the benchmark's yardstick for what pcscd and the
// link cost on their own.
type zeroCard struct{}

var zeroATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

func (zeroCard) ATR() []byte            { return zeroATR }
func (zeroCard) Transmit([]byte) []byte { return []byte{0x90, 0x00} }
func (zeroCard) Reset()                 {}
func (zeroCard) PowerOff()              {}

// serve links card to addr until the test ends.
func serve(tb testing.TB, addr string, card vpcd.Card, quickAck bool) *vpcd.Server {
	tb.Helper()
	s := &vpcd.Server{Card: card, Addr: addr}
	vpcd.SetQuickAck(s, quickAck)
	vpcdtest.Serve(tb, s)
	return s
}

// pcscContext opens a PC/SC context released when the test ends.
func pcscContext(tb testing.TB) *scard.Context {
	tb.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		tb.Fatalf("SCardEstablishContext: %v", err)
	}
	tb.Cleanup(func() { ctx.Release() })
	return ctx
}

// waitState waits until reader has (present) or lacks (!present) a card
// and returns the reader state.
func waitState(tb testing.TB, ctx *scard.Context, reader string, present bool, within time.Duration) scard.ReaderState {
	tb.Helper()
	rs := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	deadline := time.Now().Add(within)
	for {
		err := ctx.GetStatusChange(rs, 200*time.Millisecond)
		if err != nil && err != scard.ErrTimeout {
			tb.Fatalf("SCardGetStatusChange(%q): %v", reader, err)
		}
		if (rs[0].EventState&scard.StatePresent != 0) == present {
			return rs[0]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("reader %q: card present=%v not reached within %v (state %#x)", reader, present, within, rs[0].EventState)
		}
		rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
	}
}

// connect waits for the card in reader and connects to it.
func connect(tb testing.TB, ctx *scard.Context, reader string) *scard.Card {
	tb.Helper()
	waitState(tb, ctx, reader, true, 5*time.Second)
	c, err := ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		tb.Fatalf("SCardConnect(%q): %v", reader, err)
	}
	tb.Cleanup(func() { c.Disconnect(scard.LeaveCard) })
	return c
}
