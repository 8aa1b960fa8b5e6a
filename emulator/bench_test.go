package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// Benchmarks behind the speed targets: SELECT and READ BINARY at ≥1M
// APDUs/s per core, signing within 5% of bare crypto/rsa (compare
// BenchmarkTransmitSign with BenchmarkBareRSASign from the same run).

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
	read := h("00 B0 00 00 00")
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

func BenchmarkTransmitSign(b *testing.B) {
	c := benchCard(b)
	for _, cmd := range []string{selJPKI, selEF(0x0018), verifyCmd(testAuthPIN), selEF(0x0017)} {
		c.Transmit(h(cmd))
	}
	sign := append(append([]byte{0x80, 0x2A, 0x00, 0x80, 51}, digestInfo([]byte("bench"))...), 0x00)
	b.ReportAllocs()
	for b.Loop() {
		if r := c.Transmit(sign); len(r) != 258 {
			b.Fatalf("sign failed: % X", r)
		}
	}
}

func BenchmarkBareRSASign(b *testing.B) {
	loadTestKeys()
	k := testKeys.auth
	sum := sha256.Sum256([]byte("bench"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}
