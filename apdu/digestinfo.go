package apdu

import "crypto/sha256"

// sha256DigestInfoHeader is the DER DigestInfo header for SHA-256
// (RFC 8017 §9.2, note 1).
var sha256DigestInfoHeader = []byte{0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// SHA256DigestInfo returns the DER DigestInfo of a SHA-256 digest: the data
// JPKI clients send with COMPUTE SIGNATURE P1=00, since the card pads what
// it is given and neither hashes nor wraps it (card.md §5.1).
func SHA256DigestInfo(digest [sha256.Size]byte) []byte {
	out := make([]byte, 0, len(sha256DigestInfoHeader)+sha256.Size)
	return append(append(out, sha256DigestInfoHeader...), digest[:]...)
}
