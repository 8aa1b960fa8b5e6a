package emulator

import (
	"crypto/rsa"
	"crypto/sha256"
	"math/big"

	"github.com/mynacard/mynacard/apdu"
)

// Secure messaging of the 券面入力補助AP (card.md §4.2; the wire format is
// in apdu/sm.go). The facts come from myna-card's probing of cards: the
// session opens only after the PIN (0011) was verified in clear; every SM
// command the SM layer accepts advances the counter, whatever the AP then
// answers; plain commands in between neither advance nor end it; an SM
// error (6987, 6988) ends it, and every later SM command answers 69 FC;
// selecting an AP or a reset ends it like a security status.

// smSession is the card's side of an open session.
type smSession struct {
	cipher apdu.SMCipher
	next   uint32 // counter of the next SM command
	broken bool   // an SM error ended the session
}

// setSessionKey answers SET SESSION KEY 80 AE. Only the text AP takes it;
// the others refuse it as the card does (card.md §5), and with no AP
// selected the card manager does not know it.
func (c *Card) setSessionKey(cmd apdu.Command) ([]byte, apdu.SW) {
	switch c.app {
	case AppJPKI, AppJuki:
		return nil, apdu.SWSecurityNotSatisfied
	case AppVisual, AppCommon:
		return nil, apdu.SWSecurityEnvFaulty
	case AppText:
		return c.openSession(cmd)
	}
	return nil, apdu.SWINSNotSupported
}

// openSession deciphers the delivered seed with the private half of EF
// 0006. The access condition is checked before anything is deciphered: a
// wrong key with the PIN verified answers 6A 80, the right key without it
// 69 82 (card.md §4.2, §8). A failed attempt leaves no session.
func (c *Card) openSession(cmd apdu.Command) ([]byte, apdu.SW) {
	c.sm = nil
	n := c.fs.get(AppText, TextSMKey.FID())
	switch {
	case cmd.P1 != 0 || cmd.P2 != 0:
		return nil, apdu.SWIncorrectP1P2
	case c.verified&(1<<TextPIN.FID()) == 0:
		return nil, apdu.SWSecurityNotSatisfied
	case n == nil || n.key == nil:
		return nil, apdu.SWSecurityEnvFaulty
	case len(cmd.Data) != n.key.Size():
		return nil, apdu.SWWrongLength
	case new(big.Int).SetBytes(cmd.Data).Cmp(n.key.N) >= 0:
		// myna-card: a cryptogram at or above the modulus answers 6F 00.
		return nil, apdu.SWUnknown
	}
	plain, err := rsa.DecryptOAEP(sha256.New(), nil, n.key, cmd.Data, nil)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	seed, ok := apdu.ParseSessionKeyDelivery(plain)
	if !ok {
		return nil, apdu.SWWrongData
	}
	ciph, err := apdu.NewSMCipher(seed)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	c.sm = &smSession{cipher: ciph, next: 1}
	return nil, apdu.SWOK
}

// smObjects is the one data object each command takes under SM; any other
// object, or a second one, is an SM error (myna-card).
var smObjects = map[byte]byte{
	apdu.INSSelect:     apdu.SMCryptogram,
	apdu.INSVerify:     apdu.SMCryptogram,
	apdu.INSReadBinary: apdu.SMLe,
}

// secureMessaging answers a command whose CLA announces SM. Outside a
// session the card refuses it: 68 82 to SELECT, 69 FC to the rest (card.md
// §1.3). In one, the command is unwrapped, answered by its plain handler
// and the answer's data enciphered for the same counter.
func (c *Card) secureMessaging(cmd apdu.Command) []byte {
	s := c.sm
	switch {
	case s == nil && cmd.INS == apdu.INSSelect:
		return status(apdu.SWSMNotSupported)
	case s == nil || s.broken:
		return status(apdu.SWSMError)
	case cmd.CLA&apdu.CLASMAuthenticated == apdu.CLASMAuthenticated:
		// The session has no checksum key, so the objects a checksum
		// needs are missing (myna-card).
		s.broken = true
		return status(apdu.SWSMObjectsMissing)
	}
	tag, ok := smObjects[cmd.INS]
	if !ok || cmd.CLA&0x80 != 0 {
		if c.state.Settings.SMOtherCommands == SMOther6988 {
			s.broken = true
			return status(apdu.SWSMObjectsIncorrect)
		}
		return status(apdu.SWSMError)
	}
	plain, ok := s.unwrap(cmd, tag)
	if !ok {
		s.broken = true
		return status(apdu.SWSMObjectsIncorrect)
	}
	n := s.next
	s.next++
	in, _ := lookup(apdu.CLAInterindustry, cmd.INS)
	data, sw := in.handle(c, plain)
	if sw != apdu.SWOK {
		return status(sw)
	}
	if len(data) > plain.Ne {
		data = data[:plain.Ne]
	}
	if len(data) == 0 {
		return status(sw)
	}
	return answer(s.cipher.Seal(n, data), sw, cmd.Ne, whole)
}

// unwrap rebuilds the plain command from its one data object: command data
// from DO 86, an Ne from DO 96. Without a DO 96 no data is answered.
func (s *smSession) unwrap(cmd apdu.Command, tag byte) (apdu.Command, bool) {
	plain := apdu.Command{CLA: apdu.CLAInterindustry, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2}
	do, rest, err := apdu.ParseBER(cmd.Data)
	if err != nil || len(rest) != 0 || len(do.Tag) != 1 || do.Tag[0] != tag {
		return plain, false
	}
	if tag == apdu.SMLe {
		var ok bool
		plain.Ne, ok = apdu.ParseSMLe(do.Value)
		return plain, ok
	}
	plain.Data, err = s.cipher.Open(s.next, do.Value)
	return plain, err == nil
}
