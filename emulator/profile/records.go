package profile

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/mynacard/mynacard/apdu"
)

// The EF contents of card.md §4, encoded as the card stores them.
//
// Length encoding (card.md §9): the card writes some lengths longer than DER
// allows (FF 40 82 00 9F, DF43 82 00 80). Where a length is not fixed by a
// byte dump, every object here uses one rule: the short form below 128
// bytes and the three-byte 82 HH LL form from 128 up. For text EF 0002 this
// is the named choice for the uncertain "FF 20 81 LL or FF 20 82 00 LL"
// (card.md §9): records under 128 bytes, the common case, keep the single
// length byte simple clients read at offset 2.

func tlv(tag uint16, value []byte) []byte {
	form := apdu.LengthMinimal
	if len(value) >= 0x80 {
		form = apdu.Length82
	}
	var t []byte
	if tag > 0xFF {
		t = []byte{byte(tag >> 8), byte(tag)}
	} else {
		t = []byte{byte(tag)}
	}
	return apdu.EncodeBER(t, form, value)
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func pad(b []byte, size int) []byte {
	for len(b) < size {
		b = append(b, 0xFF)
	}
	return b
}

// rsaPublic is the card's encoding of an RSA public key: 90 exponent, 91
// modulus (card.md §9).
func rsaPublic(pub *rsa.PublicKey) []byte {
	return concat(tlv(0x90, big.NewInt(int64(pub.E)).Bytes()), tlv(0x91, pub.N.FillBytes(make([]byte, 256))))
}

// keyID is a 16-byte key identifier (card.md §9): 7 ASCII digits, the two
// bytes 08 05 seen on every card, 3 ASCII digits, 4 bytes of padding.
func keyID(number, serial string) []byte {
	return concat([]byte(number), []byte{0x08, 0x05}, []byte(serial), make([]byte, 4))
}

// Key identifiers of the JPKI-test hierarchy (production ones start with 5).
var (
	textCVIssuer    = keyID("6000033", "001")
	visualCVIssuer  = keyID("6000023", "001")
	textBasicKey    = keyID("6000034", "001")
	visualBasicKey  = keyID("6000024", "001")
	visualDF35KeyID = keyID("6900025", "001")
)

// dataKeyID names the municipality's data-signing key, the subject of both
// CV certificates: municipality code + "21", as on the surveyed test card
// (13221 → 1322121/000).
func dataKeyID(municipality string) []byte { return keyID(municipality+"21", "000") }

func signSHA256(key *rsa.PrivateKey, data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	return rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
}

// cvCertificate is the 568-byte 7F21 certificate of text/visual EF 0004:
// the CV root certifies the municipality key that signs the AP's records.
func cvCertificate(root *rsa.PrivateKey, issuer, subject []byte, pub *rsa.PublicKey) ([]byte, error) {
	c, err := cvContents(root, issuer, subject, pub)
	if err != nil {
		return nil, err
	}
	return tlv(0x7F21, c), nil
}

// cvContents is a CV certificate without its 7F21 template, as GET DATA
// 00F8 and 7F21 answer it: 5F4E (issuer and subject key identifiers, the
// key) and 5F37, a signature over the whole 5F4E value.
func cvContents(signer *rsa.PrivateKey, issuer, subject []byte, pub *rsa.PublicKey) ([]byte, error) {
	body := concat(issuer, subject, rsaPublic(pub))
	sig, err := signSHA256(signer, body)
	if err != nil {
		return nil, fmt.Errorf("CV certificate: %w", err)
	}
	return concat(tlv(0x5F4E, body), tlv(0x5F37, sig)), nil
}

// signedRecord builds a record whose last object signs all objects before
// it (sha256WithRSA by the municipality key): text 0003 and 0007, visual
// 0001 and 0005.
func signedRecord(tag, sigTag uint16, signer *rsa.PrivateKey, objects ...[]byte) ([]byte, error) {
	signed := concat(objects...)
	sig, err := signSHA256(signer, signed)
	if err != nil {
		return nil, fmt.Errorf("record %04X: %w", tag, err)
	}
	return tlv(tag, concat(signed, tlv(sigTag, sig))), nil
}

// offsetRecord builds text 0002 / visual 0002: the outer tag, then an
// offset table (tableTag) giving each following object's offset from the
// first byte of the file (card.md §9), then the objects.
func offsetRecord(tag, tableTag uint16, objects ...[]byte) []byte {
	tableLen := len(tlv(tableTag, make([]byte, 2*len(objects))))
	valueLen := tableLen
	for _, o := range objects {
		valueLen += len(o)
	}
	headerLen := len(tlv(tag, make([]byte, valueLen))) - valueLen
	table := make([]byte, 0, 2*len(objects))
	off := headerLen + tableLen
	for _, o := range objects {
		table = binary.BigEndian.AppendUint16(table, uint16(off))
		off += len(o)
	}
	return tlv(tag, concat(append([][]byte{tlv(tableTag, table)}, objects...)...))
}

// cardFaceSignature signs visual EF 0002 (card.md §4.3): the SHA-256 of three
// groups of objects, concatenated into one 96-byte DigestInfo, PKCS#1 v1.5.
func cardFaceSignature(key *rsa.PrivateKey, groups ...[]byte) ([]byte, error) {
	digestInfo := []byte{0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x60}
	for _, g := range groups {
		h := sha256.Sum256(g)
		digestInfo = append(digestInfo, h[:]...)
	}
	return rsa.SignPKCS1v15(nil, key, crypto.Hash(0), digestInfo)
}

// tokenInfo is JPKI EF 0006: a serialized CK_TOKEN_INFO of 160 bytes,
// strings padded with spaces (card.md §9), values as on the surveyed card.
func tokenInfo(serial string) []byte {
	b := make([]byte, 0, 160)
	field := func(s string, n int) {
		f := make([]byte, n)
		for i := range f {
			f[i] = ' '
		}
		copy(f, s)
		b = append(b, f...)
	}
	field("JPKIAPICCTOKEN2", 32)
	field("00000000000000000000000000000001", 32) // manufacturerID
	field("E16R01NJ", 16)                         // model
	field("0"+serial, 16)                         // serialNumber
	for _, v := range []uint32{
		0x0000040D, // flags: RNG, LOGIN_REQUIRED, USER_PIN_INITIALIZED, TOKEN_INITIALIZED
		1, 0, 1, 0, // max sessions, sessions, max RW sessions, RW sessions
		16, 6, // max and min PIN length (the sign password)
		0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, // memory: unavailable
	} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = append(b, "0301"...) // hardwareVersion, firmwareVersion
	field("", 16)            // utcTime: no clock on the token
	return b
}

// randomDigits returns n random ASCII digits.
func randomDigits(n int) (string, error) {
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b), nil
}

func yyyymmdd(t time.Time) []byte { return []byte(t.Format("20060102")) }

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}
