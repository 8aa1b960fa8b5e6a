package vpcd_test

import (
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/mynacard/mynacard/emulator"
	"github.com/mynacard/mynacard/emulator/profile"
	"github.com/mynacard/mynacard/internal/pcscdtest"
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
	for _, cmd := range [][]byte{selectAuthEF, readBinary} {
		resp, err := c.Transmit(cmd)
		if err != nil || len(resp) < 2 || resp[len(resp)-2] != 0x90 {
			b.Fatalf("Transmit(% X) = % X, %v", cmd, resp, err)
		}
	}
	return time.Since(start)
}

// BenchmarkPCSCRoundTrip compares the emulated card with a card that does
// no work, both behind the same pcscd and vpcd in the same run, one round
// on each per iteration so drift hits both alike. ratio is the emulator's
// APDU rate over the zero-work card's (target >= 0.9).
func BenchmarkPCSCRoundTrip(b *testing.B) {
	d := pcscdtest.Start(b, 2)
	st, err := profile.Default(profile.Normal)
	if err != nil {
		b.Fatal(err)
	}
	card, err := emulator.New(st)
	if err != nil {
		b.Fatal(err)
	}
	serve(b, d.Addr(0), zeroCard{}, true)
	serve(b, d.Addr(1), card, true)
	ctx := pcscContext(b)
	zero := connect(b, ctx, d.ReaderName(0))
	emu := connect(b, ctx, d.ReaderName(1))
	if resp, err := emu.Transmit(selectJPKI); err != nil || len(resp) != 2 || resp[0] != 0x90 {
		b.Fatalf("SELECT JPKI = % X, %v", resp, err)
	}
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
	d := pcscdtest.Start(b, 2)
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
