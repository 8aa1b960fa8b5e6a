package emulator

import (
	"bytes"
	"testing"

	"github.com/mynacard/mynacard/apdu"
	"pgregory.net/rapid"
)

// Any byte string gets a response of at least the status word, and never
// the 6F00 the panic guard answers with.
func TestTransmitAnyBytes(t *testing.T) {
	c, _ := newTestCard(t)
	prefixes := [][]byte{nil, {0x00, 0xA4}, {0x00, 0xB0}, {0x00, 0xB2}, {0x00, 0x20}, {0x00, 0x24}, {0x80, 0x2A}, {0x80, 0x32}, {0x00, 0x88}, {0x00, 0xCA}, {0x00, 0x84}}
	rapid.Check(t, func(t *rapid.T) {
		if rapid.Bool().Draw(t, "select") {
			a := rapid.SampledFrom(Apps()).Draw(t, "app")
			c.Transmit(apdu.SelectAID(a.AID()).Bytes())
		}
		cmd := append(append([]byte(nil), rapid.SampledFrom(prefixes).Draw(t, "prefix")...),
			rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "rest")...)
		resp := c.Transmit(cmd)
		if len(resp) < 2 {
			t.Fatalf("% X: response of %d bytes", cmd, len(resp))
		}
		if r, _ := apdu.ParseResponse(resp); r.SW == apdu.SWUnknown {
			t.Fatalf("% X: internal error", cmd)
		}
	})
}

// A caller that writes into an AID it was given changes nothing the card
// answers with or matches on.
func TestAIDIsACopy(t *testing.T) {
	for _, a := range Apps() {
		aid := a.AID()
		want := bytes.Clone(aid)
		aid[0] ^= 0xFF
		if got := a.AID(); !bytes.Equal(got, want) {
			t.Errorf("%v: AID % X after a caller's write, want % X", a, got, want)
		}
		if got, ok := AppByAID(want); !ok || got != a {
			t.Errorf("AppByAID(% X) = %v, %v after a caller's write", want, got, ok)
		}
	}
}
