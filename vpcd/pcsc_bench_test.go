package vpcd_test

import (
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/vpcd"
	"github.com/mynacard/mynacard/vpcd/pcsctest"
)

var (
	selectJPKI   = append([]byte{0x00, 0xA4, 0x04, 0x0C, 0x0A}, emulator.AppJPKI.AID()...)
	selectAuthEF = []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A}
	readBinary   = []byte{0x00, 0xB0, 0x00, 0x00, 0x00}
)

// roundTrip sends one SELECT EF and one READ BINARY (256 bytes) and
// returns how long the two took.
func roundTrip(b *testing.B, c *scard.Card) time.Duration {
	start := time.Now()
	transmit(b, c, selectAuthEF)
	transmit(b, c, readBinary)
	return time.Since(start)
}

// transmit sends cmd and fails unless the card answers 90 00.
func transmit(b *testing.B, c *scard.Card, cmd []byte) {
	resp, err := c.Transmit(cmd)
	if err != nil || len(resp) < 2 || resp[len(resp)-2] != 0x90 {
		b.Fatalf("Transmit(% X) = % X, %v", cmd, resp, err)
	}
}

func defaultCard(b *testing.B) *emulator.Card {
	st, err := profile.Default(emulator.KindNormal)
	if err != nil {
		b.Fatal(err)
	}
	card, err := emulator.New(st)
	if err != nil {
		b.Fatal(err)
	}
	return card
}

// benchPCSC times single SELECT EF and READ BINARY exchanges with card
// through pcscd. scripts/bench.sh divides the zero-work card's times by the
// emulator's.
func benchPCSC(b *testing.B, card vpcd.Card) {
	d := pcsctest.Daemon(b, 1)
	serve(b, d.Addr(0), card, true)
	c := connect(b, pcscContext(b), d.ReaderName(0))
	transmit(b, c, selectJPKI)
	b.Run("select", func(b *testing.B) {
		for range b.N {
			transmit(b, c, selectAuthEF)
		}
	})
	b.Run("read", func(b *testing.B) {
		for range b.N {
			transmit(b, c, readBinary)
		}
	})
}

func BenchmarkPCSCZeroWork(b *testing.B) { benchPCSC(b, zeroCard{}) }
func BenchmarkPCSCEmulator(b *testing.B) { benchPCSC(b, defaultCard(b)) }

// BenchmarkPCSCRoundTrip compares the emulated card with a card that does
// no work, both behind the same pcscd and vpcd in the same run, one round
// on each per iteration so drift hits both alike. ratio is the emulator's
// APDU rate over the zero-work card's (target >= 0.9).
func BenchmarkPCSCRoundTrip(b *testing.B) {
	d := pcsctest.Daemon(b, 2)
	serve(b, d.Addr(0), zeroCard{}, true)
	serve(b, d.Addr(1), defaultCard(b), true)
	ctx := pcscContext(b)
	zero := connect(b, ctx, d.ReaderName(0))
	emu := connect(b, ctx, d.ReaderName(1))
	transmit(b, emu, selectJPKI)
	var tz, te time.Duration
	b.ResetTimer()
	for range b.N {
		tz += roundTrip(b, zero)
		te += roundTrip(b, emu)
	}
	apdus := float64(2 * b.N)
	b.ReportMetric(apdus/tz.Seconds(), "zero-apdu/s")
	b.ReportMetric(apdus/te.Seconds(), "card-apdu/s")
	b.ReportMetric(tz.Seconds()/te.Seconds(), "ratio")
}

// BenchmarkQuickAck measures what re-arming TCP_QUICKACK before each read
// saves: two zero-work cards behind the same pcscd, one without it.
func BenchmarkQuickAck(b *testing.B) {
	d := pcsctest.Daemon(b, 2)
	serve(b, d.Addr(0), zeroCard{}, true)
	serve(b, d.Addr(1), zeroCard{}, false)
	ctx := pcscContext(b)
	on := connect(b, ctx, d.ReaderName(0))
	off := connect(b, ctx, d.ReaderName(1))
	var ton, toff time.Duration
	b.ResetTimer()
	for range b.N {
		ton += roundTrip(b, on)
		toff += roundTrip(b, off)
	}
	apdus := float64(2 * b.N)
	b.ReportMetric(ton.Seconds()*1e3/apdus, "quickack-ms/apdu")
	b.ReportMetric(toff.Seconds()*1e3/apdus, "noquickack-ms/apdu")
}
