package emulator

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// The memo answers exactly what crypto/rsa answers, the first time and
// every time after, and stays within its bound.
func TestSignPKCS1v15Memo(t *testing.T) {
	loadTestKeys()
	k := testKeys.auth
	for i := range 3 {
		sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		want, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			got, err := signPKCS1v15(k, crypto.SHA256, sum[:])
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("digest %d: memo gave %X, %v; crypto/rsa gives %X", i, got, err, want)
			}
		}
	}
	for i := range maxSigMemoBytes/(signatureLen+32) + 10 {
		sum := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("fill"), uint64(i)))
		sigMemo.Lock()
		sigMemo.m[sigInput{k, crypto.SHA256, string(sum[:])}] = make([]byte, signatureLen)
		sigMemo.bytes += signatureLen + 32
		sigMemo.Unlock()
	}
	if _, err := signPKCS1v15(k, crypto.SHA256, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if sigMemo.bytes > maxSigMemoBytes {
		t.Errorf("memo holds %d bytes, bound %d", sigMemo.bytes, maxSigMemoBytes)
	}
	// The bound counts what an entry holds: the signature and the digest.
	sigMemo.Lock()
	sigMemo.m, sigMemo.bytes = nil, 0
	sigMemo.Unlock()
	if _, err := signPKCS1v15(k, crypto.SHA256, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if want := signatureLen + 32; sigMemo.bytes != want {
		t.Errorf("one signature of a 32-byte digest counts %d bytes, want %d", sigMemo.bytes, want)
	}
	// An entry that fills the memo exactly is kept; one byte more starts
	// it over.
	size := signatureLen + 32
	for i, tt := range []struct{ before, after int }{{maxSigMemoBytes - size, maxSigMemoBytes}, {maxSigMemoBytes - size + 1, size}} {
		sigMemo.Lock()
		sigMemo.bytes = tt.before
		sigMemo.Unlock()
		sum := sha256.Sum256([]byte{'e', 'd', 'g', 'e', byte(i)})
		if _, err := signPKCS1v15(k, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
		if sigMemo.bytes != tt.after {
			t.Errorf("memo at %d bytes, one more entry: %d bytes, want %d", tt.before, sigMemo.bytes, tt.after)
		}
	}
}
