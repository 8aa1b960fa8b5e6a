package emulator

import (
	"crypto"
	"crypto/rsa"
	"sync"
)

// A PKCS#1 v1.5 signature is a function of the key and the digest: the same
// pair always gives the same bytes. Fuzzing and test suites sign the same
// few digests with the same few keys millions of times, at about a
// millisecond each, so signPKCS1v15 remembers what crypto/rsa returned the
// first time. PSS signatures are salted and never remembered.
var sigMemo struct {
	sync.Mutex
	m     map[sigInput][]byte
	bytes int
}

type sigInput struct {
	key    *rsa.PrivateKey // parsedKeys shares one per key, so this names the key
	hash   crypto.Hash
	digest string
}

// maxSigMemoBytes bounds the memo: when it is full it starts over, which a
// fuzz loop refills with its few hot signatures at once.
const maxSigMemoBytes = 4 << 20

// signPKCS1v15 is rsa.SignPKCS1v15 remembered by key and digest. The
// returned slice is shared: callers copy it into their answer.
func signPKCS1v15(k *rsa.PrivateKey, hash crypto.Hash, digest []byte) ([]byte, error) {
	in := sigInput{k, hash, string(digest)}
	sigMemo.Lock()
	sig, ok := sigMemo.m[in]
	sigMemo.Unlock()
	if ok {
		return sig, nil
	}
	sig, err := rsa.SignPKCS1v15(nil, k, hash, digest)
	if err != nil {
		return nil, err
	}
	sigMemo.Lock()
	defer sigMemo.Unlock()
	size := len(sig) + len(in.digest)
	if sigMemo.m == nil || sigMemo.bytes+size > maxSigMemoBytes {
		sigMemo.m, sigMemo.bytes = make(map[sigInput][]byte), 0
	}
	sigMemo.m[in] = sig
	sigMemo.bytes += size
	return sig, nil
}
