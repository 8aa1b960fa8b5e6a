package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/mynacard/mynacard/apdu"
)

// Benchmarks behind the speed targets: SELECT and READ BINARY at ≥1M
// APDUs/s per core, signing within 5% of bare crypto/rsa (BenchmarkSign).

func benchCard(b *testing.B) *Card {
	c, err := New(NewTestState(b))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkTransmitSelect(b *testing.B) {
	c := benchCard(b)
	sel := h(selJPKI)
	b.ReportAllocs()
	for b.Loop() {
		c.Transmit(sel)
	}
}

func BenchmarkTransmitSelectEF(b *testing.B) {
	c := benchCard(b)
	c.Transmit(h(selJPKI))
	sel := h(selEF(0x000A))
	b.ReportAllocs()
	for b.Loop() {
		c.Transmit(sel)
	}
}

func BenchmarkTransmitReadBinary(b *testing.B) {
	c := benchCard(b)
	c.Transmit(h(selJPKI))
	c.Transmit(h(selEF(0x000A)))
	read := apdu.ReadBinary(0, apdu.MaxShortNe).Bytes()
	b.ReportAllocs()
	for b.Loop() {
		c.Transmit(read)
	}
}

func BenchmarkTransmitVerify(b *testing.B) {
	c := benchCard(b)
	c.Transmit(h(selJPKI))
	c.Transmit(h(selEF(0x0018)))
	verify := h(verifyCmd(testAuthPIN))
	b.ReportAllocs()
	for b.Loop() {
		c.Transmit(verify)
	}
}

// BenchmarkSign alternates a COMPUTE SIGNATURE through the card with a bare
// crypto/rsa signature by the same key, so both see the same load on a
// shared machine; "ratio" is the card's time over bare crypto/rsa's. Each
// iteration signs a new message: the card remembers PKCS#1 v1.5 signatures
// (signPKCS1v15), and a repeated one would measure a map lookup instead.
func BenchmarkSign(b *testing.B) {
	c := benchCard(b)
	for _, cmd := range []string{selJPKI, selEF(0x0018), verifyCmd(testAuthPIN), selEF(0x0017)} {
		c.Transmit(h(cmd))
	}
	k := testKeys.auth
	var card, bare time.Duration
	for i := 0; b.Loop(); i++ {
		msg := binary.BigEndian.AppendUint64([]byte("bench"), uint64(i))
		sign := apdu.ComputeSignature(apdu.SignPKCS1, digestInfo(msg)).Bytes()
		sum := sha256.Sum256(msg)
		t0 := time.Now()
		r := c.Transmit(sign)
		t1 := time.Now()
		_, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
		bare += time.Since(t1)
		card += t1.Sub(t0)
		if len(r) != 258 || err != nil {
			b.Fatalf("sign: % X, %v", r[max(0, len(r)-2):], err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(card.Seconds()*1e3/n, "card-ms/op")
	b.ReportMetric(bare.Seconds()*1e3/n, "bare-ms/op")
	b.ReportMetric(card.Seconds()/bare.Seconds(), "ratio")
}
