package fuzz

import "encoding/hex"

// h decodes a hex literal; it is only called with constants.
func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("fuzz: bad hex literal " + s)
	}
	return b
}
