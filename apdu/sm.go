package apdu

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
)

// Secure messaging of the 券面入力補助AP (card.md §4.2, myna-card's
// probing): SET SESSION KEY delivers a 32-byte seed whose first 16 bytes
// are an AES-128 key; after it the session gives confidentiality only, with
// no checksum (no DO 8E, no DO 99: the status word travels plain). Command
// data goes in one DO 86 (padding indicator 01 + cryptogram), READ
// BINARY's Le in one DO 96, response data in DO 86. The n-th SM command
// after SET SESSION KEY (n from 1) and its response are both enciphered
// with the IV AES(key, n as 16 big-endian bytes); padding is ISO 7816-4
// (80 00…), always added.

// CLA bits and data-object tags of the session.
const (
	CLASecureMessaging byte = 0x08 // SM, header not authenticated: the only form the AP takes
	CLASMAuthenticated byte = 0x0C // SM with the header in a checksum: refused 69 87

	SMCryptogram       byte = 0x86 // padding indicator + cryptogram
	SMLe               byte = 0x96 // Le of the unprotected command
	SMPaddingIndicator byte = 0x01 // ISO 7816-4 padding

	SessionKeySeedLen = 32 // the delivered seed; the AES key is its first 16 bytes
	smBlock           = aes.BlockSize
)

// SetSessionKey delivers cryptogram, the RSA-OAEP-SHA256 encryption of
// SessionKeyDelivery(seed) to the public key of text EF 0006. Its 256
// bytes need the extended Lc form.
func SetSessionKey(cryptogram []byte) Command {
	return Command{CLA: CLAProprietary, INS: INSSetSessionKey, Data: cryptogram, Extended: true}
}

// SessionKeyDelivery is the plaintext SET SESSION KEY carries: A0 { 80
// seed }, the encryption-key form, the only one the AP accepts.
func SessionKeyDelivery(seed []byte) []byte {
	return EncodeBER([]byte{0xA0}, LengthMinimal, EncodeBER([]byte{0x80}, LengthMinimal, seed))
}

// ParseSessionKeyDelivery returns the seed of a SessionKeyDelivery, or
// false for any other structure (an 81 or 80+81 key set, extra objects, a
// seed that is not 32 bytes).
func ParseSessionKeyDelivery(b []byte) ([]byte, bool) {
	outer, rest, err := ParseBER(b)
	if err != nil || len(rest) != 0 || !oneByteTag(outer, 0xA0) {
		return nil, false
	}
	key, rest, err := ParseBER(outer.Value)
	if err != nil || len(rest) != 0 || !oneByteTag(key, 0x80) || len(key.Value) != SessionKeySeedLen {
		return nil, false
	}
	return key.Value, true
}

func oneByteTag(t TLV, tag byte) bool { return len(t.Tag) == 1 && t.Tag[0] == tag }

// SMCipher enciphers and deciphers the data of one session.
type SMCipher struct{ block cipher.Block }

// NewSMCipher makes the cipher of a session from its delivered seed.
func NewSMCipher(seed []byte) (SMCipher, error) {
	if len(seed) != SessionKeySeedLen {
		return SMCipher{}, fmt.Errorf("apdu: session key seed of %d bytes, want %d", len(seed), SessionKeySeedLen)
	}
	b, err := aes.NewCipher(seed[:16])
	return SMCipher{b}, err
}

func (s SMCipher) iv(n uint32) []byte {
	iv := make([]byte, smBlock)
	binary.BigEndian.PutUint32(iv[smBlock-4:], n)
	s.block.Encrypt(iv, iv)
	return iv
}

// Seal pads and enciphers plain for counter n and returns the whole DO 86.
func (s SMCipher) Seal(n uint32, plain []byte) []byte {
	buf := make([]byte, 0, len(plain)+smBlock)
	buf = append(append(buf, plain...), 0x80)
	for len(buf)%smBlock != 0 {
		buf = append(buf, 0x00)
	}
	cipher.NewCBCEncrypter(s.block, s.iv(n)).CryptBlocks(buf, buf)
	return EncodeBER([]byte{SMCryptogram}, LengthMinimal, append([]byte{SMPaddingIndicator}, buf...))
}

// ErrSMObject says a DO 86 value does not decipher: wrong indicator, not
// whole blocks, or no 80 00… padding (a counter out of step, a wrong key).
var ErrSMObject = errors.New("apdu: secure messaging cryptogram does not decipher")

// Open deciphers the value of a DO 86 for counter n and strips the padding.
func (s SMCipher) Open(n uint32, value []byte) ([]byte, error) {
	if len(value) < 1+smBlock || value[0] != SMPaddingIndicator || (len(value)-1)%smBlock != 0 {
		return nil, ErrSMObject
	}
	buf := append([]byte(nil), value[1:]...)
	cipher.NewCBCDecrypter(s.block, s.iv(n)).CryptBlocks(buf, buf)
	// The padding is 1 to 16 bytes: 80 then 00s.
	i, floor := len(buf)-1, len(buf)-smBlock
	for i > floor && buf[i] == 0x00 {
		i--
	}
	if buf[i] != 0x80 {
		return nil, ErrSMObject
	}
	return buf[:i], nil
}

// SMLeValue encodes ne as the value of DO 96: 00 and two bytes, 0000 for
// the whole file from the offset (65536), as myna-card sends it.
func SMLeValue(ne int) []byte {
	if ne >= MaxExtendedNe {
		ne = 0
	}
	return []byte{0x00, byte(ne >> 8), byte(ne)}
}

// ParseSMLe reads the value of DO 96 in any of the Le encodings: one byte
// (00 = 256), two bytes or 00 and two bytes (0000 = 65536).
func ParseSMLe(v []byte) (int, bool) {
	switch {
	case len(v) == 1:
		return shortNe(v[0]), true
	case len(v) == 2:
		return extendedNe(v[0], v[1]), true
	case len(v) == 3 && v[0] == 0:
		return extendedNe(v[1], v[2]), true
	}
	return 0, false
}

// SMSession is the terminal's side of a session: it wraps plain commands
// and unwraps the answers, keeping the counter as the card does.
type SMSession struct {
	cipher SMCipher
	next   uint32 // counter of the next command
	last   uint32 // counter of the last command wrapped
}

// NewSMSession starts the terminal side of a session the card accepted
// with SET SESSION KEY carrying seed.
func NewSMSession(seed []byte) (*SMSession, error) {
	c, err := NewSMCipher(seed)
	if err != nil {
		return nil, err
	}
	return &SMSession{cipher: c, next: 1}, nil
}

// Wrap turns a plain SELECT, VERIFY or READ BINARY into its SM form and
// advances the counter: READ BINARY carries its Ne in DO 96 and asks for
// an extended answer, the others carry their data enciphered in DO 86.
func (s *SMSession) Wrap(c Command) Command {
	s.last, s.next = s.next, s.next+1
	w := Command{CLA: c.CLA | CLASecureMessaging, INS: c.INS, P1: c.P1, P2: c.P2}
	if c.INS == INSReadBinary {
		w.Data = EncodeBER([]byte{SMLe}, LengthMinimal, SMLeValue(c.Ne))
		w.Ne, w.Extended = MaxExtendedNe, true
		return w
	}
	w.Data = s.cipher.Seal(s.last, c.Data)
	return w
}

// Unwrap deciphers the response data of the last wrapped command (a DO 86);
// empty data stays empty.
func (s *SMSession) Unwrap(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	do, rest, err := ParseBER(data)
	if err != nil || len(rest) != 0 || !oneByteTag(do, SMCryptogram) {
		return nil, ErrSMObject
	}
	return s.cipher.Open(s.last, do.Value)
}
