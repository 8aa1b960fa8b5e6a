package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/mynacard/mynacard/apdu"
	"github.com/mynacard/mynacard/emulator/pki"
)

// Private keys and the commands that use them: COMPUTE SIGNATURE (card.md
// §5.1) and INTERNAL AUTHENTICATE (§5).

const rsaBits = 2048

// parsedKeys caches parseKey by the key's DER bytes. Parsing checks and
// precomputes an RSA-2048 key, about a millisecond; cards made again from
// the same file (fuzzing, conformance restores, tests) would pay it for
// every card. A *rsa.PrivateKey is read-only once precomputed, so cards
// share it. Bounded, because a long-lived process may load many cards.
var parsedKeys struct {
	sync.Mutex
	m map[string]*rsa.PrivateKey
}

const maxParsedKeys = 256

// parseKey decodes a PKCS#8 RSA-2048 key. Go precomputes the CRT values,
// so signing later costs what bare crypto/rsa costs.
func parseKey(der []byte) (*rsa.PrivateKey, error) {
	parsedKeys.Lock()
	k, ok := parsedKeys.m[string(der)]
	parsedKeys.Unlock()
	if ok {
		return k, nil
	}
	k, err := parseKeyUncached(der)
	if err != nil {
		return nil, err
	}
	parsedKeys.Lock()
	defer parsedKeys.Unlock()
	if parsedKeys.m == nil {
		parsedKeys.m = make(map[string]*rsa.PrivateKey)
	}
	if len(parsedKeys.m) < maxParsedKeys {
		parsedKeys.m[string(der)] = k
	}
	return k, nil
}

func parseKeyUncached(der []byte) (*rsa.PrivateKey, error) {
	rk, err := pki.ParseKey(der)
	if err != nil {
		return nil, err
	}
	if n := rk.N.BitLen(); n != rsaBits {
		return nil, fmt.Errorf("RSA key of %d bits, want %d", n, rsaBits)
	}
	return rk, nil
}

// signScheme is a COMPUTE SIGNATURE P1 (card.md §5.1 table).
type signScheme struct {
	minLen, maxLen int
	sign           func(c *Card, k *rsa.PrivateKey, data []byte) ([]byte, error)
}

var signSchemes = [...]signScheme{
	0x00: {1, 245, func(_ *Card, k *rsa.PrivateKey, d []byte) ([]byte, error) {
		return signPKCS1v15(k, crypto.Hash(0), d)
	}},
	0x01: {1, 255, func(_ *Card, k *rsa.PrivateKey, d []byte) ([]byte, error) {
		h := sha256.Sum256(d)
		return signPKCS1v15(k, crypto.Hash(0), h[:])
	}},
	0x02: {32, 32, func(_ *Card, k *rsa.PrivateKey, d []byte) ([]byte, error) {
		return signPKCS1v15(k, crypto.SHA256, d)
	}},
	0x03: {1, 255, func(_ *Card, k *rsa.PrivateKey, d []byte) ([]byte, error) {
		h := sha256.Sum256(d)
		return signPKCS1v15(k, crypto.SHA256, h[:])
	}},
	0x04: {32, 32, func(c *Card, k *rsa.PrivateKey, d []byte) ([]byte, error) {
		return rsa.SignPSS(c.rand, k, crypto.SHA256, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}},
	0x05: {1, 255, func(c *Card, k *rsa.PrivateKey, d []byte) ([]byte, error) {
		h := sha256.Sum256(d)
		return rsa.SignPSS(c.rand, k, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}},
}

// apKeys are the 券面 APs' own keys, which 80 2A 00 00 uses with no
// credential.
var apKeys = [...]uint16{AppText: TextAPKey.FID(), AppVisual: VisualAPKey.FID(), AppJuki: 0, AppCommon: 0}

// signatureLen is what an RSA-2048 signature takes. Clients send Le=00
// (card.md §5.1); a command whose Le cannot hold the signature is refused with
// 67 00, as the command table refuses any whole answer longer than Ne. The
// signing commands check it before signing so that no RSA operation (and
// no PSS salt from the card's random source) is spent on a refused answer.
const signatureLen = rsaBits / 8

// computeSignature implements 80 2A P1 P2: P2=80 signs with the current EF,
// 80|SFI with that key, 00 with the application's own key.
func (c *Card) computeSignature(cmd apdu.Command) ([]byte, apdu.SW) {
	var n *node
	switch {
	case cmd.P2 == 0x00:
		if int(c.app) < len(apKeys) && apKeys[c.app] != 0 {
			n = c.fs.get(c.app, apKeys[c.app])
		}
		if n == nil {
			return nil, apdu.SWDataNotFound
		}
	default:
		var sw apdu.SW
		if n, sw = c.keyRef(cmd.P2); sw != apdu.SWOK {
			return nil, sw
		}
	}
	if n.kind != efKey {
		return nil, apdu.SWIncompatibleFile
	}
	if n.absent || !n.access.met(c.verified) {
		return nil, apdu.SWSecurityNotSatisfied
	}
	if n.use&useSign == 0 {
		return nil, apdu.SWConditionsNotMet
	}
	if int(cmd.P1) >= len(signSchemes) {
		return nil, apdu.SWIncorrectP1P2
	}
	sc := signSchemes[cmd.P1]
	switch {
	case len(cmd.Data) == 0 || len(cmd.Data) > 255:
		return nil, apdu.SWWrongLength
	case len(cmd.Data) < sc.minLen || len(cmd.Data) > sc.maxLen:
		return nil, apdu.SWConditionsNotMet
	case cmd.Ne < signatureLen:
		return nil, apdu.SWWrongLength
	}
	sig, err := sc.sign(c, n.key, cmd.Data)
	if err != nil {
		return nil, apdu.SWUnknown
	}
	return sig, apdu.SWOK
}

// internalAuthenticate implements 00 88 00 P2: only a key marked for it
// (common AP 0019) answers, with a deterministic sha256WithRSA signature.
func (c *Card) internalAuthenticate(cmd apdu.Command) ([]byte, apdu.SW) {
	n, sw := c.keyFor(cmd, efKey)
	if sw != apdu.SWOK {
		return nil, sw
	}
	if n.use&useIA == 0 {
		if !n.access.free {
			return nil, apdu.SWSecurityNotSatisfied
		}
		return nil, apdu.SWConditionsNotMet
	}
	if len(cmd.Data) == 0 || len(cmd.Data) > 255 || cmd.Ne < signatureLen {
		return nil, apdu.SWWrongLength
	}
	h := sha256.Sum256(cmd.Data)
	sig, err := signPKCS1v15(n.key, crypto.SHA256, h[:])
	if err != nil {
		return nil, apdu.SWUnknown
	}
	return sig, apdu.SWOK
}
